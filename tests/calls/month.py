"""A month of calls for the tests above the calls app (scorecards, reports): October 2026 at
福州 (4 calls) and 鼓楼 (2), one in November, imported as an Asterisk CDR file (a real path).

T = 15 s, short abandon ≤ 5 s. By hand:
- 福州: answered after 10 s (100 s talk) and 20 s (50 s), abandoned after 30 s, short after 3 s
  → offered 4, answered 2, abandoned 1, answer rate 2/3, service level 1/3, ASA 15, AHT 75;
- 鼓楼: answered after 5 s (60 s talk), abandoned after 40 s → 2, 1, 1, 1/2, 1/2, 5, 60.
Hours (local): 福州 9, 14, 15, 23; 鼓楼 10, 11.
"""

from hotline.calls import services
from hotline.calls.cdr import import_cdr
from hotline.calls.models import CallQueue, Seat


def cdr_line(uid, start, answer, end, disposition, *, agent="", queue="fzq"):
    dst = f"SIP/{agent}-0000000{uid[-1]}" if agent else ""
    return (
        f'"","13800000001","12345","from-trunk","","SIP/trunk-00000001","{dst}","Queue",'
        f'"{queue},t","2026-{start}","{"2026-" + answer if answer else ""}","2026-{end}",0,0,'
        f'"{disposition}","DOCUMENTATION","{uid}",""'
    )


def load_october(province, settings):
    """Platform, queues, seats and the calls; returns the import report."""
    settings.CALLS_SERVICE_LEVEL_SECONDS = 15
    settings.CALLS_SHORT_ABANDON_SECONDS = 5
    fz, gl = province.units["fz"], province.units["gl"]
    platform, _ = services.create_platform(code="fzpbx", name="福州 PBX", center=fz)
    CallQueue.objects.create(code="fzq", name="福州综合", center=fz)
    CallQueue.objects.create(code="glq", name="鼓楼综合", center=gl)
    Seat.objects.create(code="1001", center=fz, extension="1001")
    Seat.objects.create(code="2001", center=gl, extension="2001")
    lines = [
        # 福州: answered after 10 s (100 s talk) and 20 s (50 s), abandoned after 30 s,
        # a short abandon after 3 s
        cdr_line(
            "c1", "10-12 09:00:00", "10-12 09:00:10", "10-12 09:01:50", "ANSWERED", agent="1001"
        ),
        cdr_line(
            "c2", "10-20 14:00:00", "10-20 14:00:20", "10-20 14:01:10", "ANSWERED", agent="1001"
        ),
        cdr_line("c3", "10-20 15:00:00", "", "10-20 15:00:30", "NO ANSWER"),
        cdr_line("c4", "10-31 23:00:00", "", "10-31 23:00:03", "NO ANSWER"),
        # 鼓楼: answered after 5 s (60 s talk), abandoned after 40 s
        cdr_line(
            "c5",
            "10-05 10:00:00",
            "10-05 10:00:05",
            "10-05 10:01:05",
            "ANSWERED",
            agent="2001",
            queue="glq",
        ),
        cdr_line("c6", "10-05 11:00:00", "", "10-05 11:00:40", "NO ANSWER", queue="glq"),
        # November: outside the period
        cdr_line(
            "c7", "11-01 00:00:10", "11-01 00:00:12", "11-01 00:01:00", "ANSWERED", agent="1001"
        ),
    ]
    return import_cdr(platform=platform, fmt="asterisk", data="\n".join(lines).encode())
