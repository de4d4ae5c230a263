"""CDR import: Asterisk Master.csv and FreeSWITCH CSV CDR files become the same Call rows."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from hotline.calls import agents, figures
from hotline.calls.cdr import import_cdr
from hotline.calls.models import (
    AgentStateChange,
    Call,
    CallbackItem,
    CallEvent,
)

DATA = Path(__file__).parent / "data"
LOCAL = dt.timezone(dt.timedelta(hours=8))


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def calls() -> dict[str, Call]:
    return {c.platform_call_id: c for c in Call.objects.select_related("seat", "queue")}


def test_an_asterisk_master_csv_gives_each_call_its_outcome_wait_and_seat(phone):
    # given Master.csv with answered, rung-then-answered, abandoned, short, busy, voicemail,
    # outbound and unknown-seat calls
    # when it is imported
    report = import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    # then
    assert (report.lines, report.calls, report.new_calls, report.events) == (9, 8, 8, 22)
    assert report.errors == []
    got = calls()
    summary = {
        cid: (
            c.direction,
            c.outcome,
            c.wait_seconds,
            c.talk_seconds,
            c.seat.code if c.seat else None,
        )
        for cid, c in got.items()
    }
    assert summary == {
        "1760230800.1": ("inbound", "answered", 12, 180, "1001"),
        "1760230860.3": ("inbound", "answered", 25, 60, "1001"),
        "1760231100.6": ("inbound", "abandoned", 40, 0, None),
        "1760231160.7": ("inbound", "short_abandon", 3, 0, None),
        "1760231220.8": ("inbound", "abandoned", 8, 0, "1001"),
        "1760231400.10": ("inbound", "voicemail", 50, 0, None),
        "1760232000.11": ("outbound", "outbound_answered", 8, 60, "1001"),
        "1760232600.13": ("inbound", "answered", 5, 60, None),
    }
    first = got["1760230800.1"]
    assert (first.caller, first.called, first.trunk, first.queue.code) == (
        "13800000001",
        "12345",
        "fz-trunk",
        "general",
    )
    assert first.offered_at == dt.datetime(2026, 10, 12, 9, 0, tzinfo=LOCAL)
    assert (first.day, first.hour, first.center_id) == (
        dt.date(2026, 10, 12),
        9,
        phone.queue.center_id,
    )
    assert got["1760230860.3"].ringing_at == dt.datetime(2026, 10, 12, 9, 1, tzinfo=LOCAL)
    assert (got["1760231100.6"].cause, got["1760231220.8"].cause) == ("hangup_in_queue", "busy")
    assert got["1760231400.10"].recording == "voicemail:8001@hotline,u"


def test_a_call_answered_at_an_unknown_seat_is_kept_and_marked_as_an_error(phone):
    report = import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    call = Call.objects.get(platform_call_id="1760232600.13")
    assert (call.is_error, call.error_reason) == (True, "座席号 7777 不存在")
    assert [(e["event_id"], e["code"]) for e in report.event_errors] == [
        ("cdr:1760232600.13:answered", "unknown_agent")
    ]
    assert CallEvent.objects.get(event_id="cdr:1760232600.13:answered").error == "unknown_agent"


def test_the_figures_of_an_imported_file_are_the_hand_computed_ones(phone):
    import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    t = figures.totals(Call.objects.all())
    # 7 inbound: 3 answered (12 s, 25 s, 5 s), 1 short, 2 abandoned, 1 voicemail
    assert (t["offered"], t["answered"], t["short_abandons"], t["abandoned"], t["voicemail"]) == (
        7,
        3,
        1,
        2,
        1,
    )
    assert t["answer_rate"] == 0.5  # 3 / (7 - 1)
    assert t["service_level"] == 0.4  # 2 within 15 s / (3 + 2)
    assert (t["asa_seconds"], t["aht_seconds"]) == (14.0, 100.0)  # 42/3, 300/3


def test_importing_the_same_file_twice_changes_nothing(phone):
    import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    before = {
        c.platform_call_id: (c.outcome, c.wait_seconds, c.event_count) for c in Call.objects.all()
    }
    again = import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    after = {
        c.platform_call_id: (c.outcome, c.wait_seconds, c.event_count) for c in Call.objects.all()
    }
    assert (again.new_calls, again.events, again.duplicates) == (0, 0, 22)
    assert after == before
    assert CallEvent.objects.count() == 22


def test_a_dry_run_checks_everything_and_writes_nothing(phone):
    report = import_cdr(
        platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"), dry_run=True
    )
    assert (report.calls, report.written) == (8, False)
    assert Call.objects.count() == 0


def test_a_file_with_bad_lines_writes_nothing_and_names_each_line_and_field(phone):
    report = import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_bad.csv"))
    assert [(e.line, e.field) for e in report.errors] == [
        (2, "start"),
        (3, "disposition"),
        (4, "uniqueid"),
        (5, "duration"),
    ]
    assert (
        report.errors[2].message_zh
        == "缺少 uniqueid 列：请在 cdr.conf 的 [csv] 中设置 loguniqueid=yes"
    )
    assert report.errors[1].message_en == "unknown disposition 'HUNG UP'"
    assert (report.written, Call.objects.count(), CallEvent.objects.count()) == (False, 0, 0)


def test_skipping_bad_lines_imports_the_good_ones(phone):
    report = import_cdr(
        platform=phone.platform,
        fmt="asterisk",
        data=read("asterisk_bad.csv"),
        skip_bad_lines=True,
    )
    assert (len(report.errors), report.written) == (4, True)
    assert sorted(Call.objects.values_list("platform_call_id", "outcome")) == [
        ("1760230800.1", "answered"),
        ("1760231400.10", "abandoned"),
    ]


def test_a_freeswitch_csv_cdr_maps_hangup_causes_to_outcomes(phone):
    report = import_cdr(
        platform=phone.platform, fmt="freeswitch", data=read("freeswitch_Master.csv")
    )
    assert (report.calls, report.errors) == (5, [])
    got = {
        cid[-1]: (c.direction, c.outcome, c.wait_seconds, c.talk_seconds, c.cause)
        for cid, c in calls().items()
    }
    assert got == {
        "1": ("inbound", "answered", 6, 120, "normal_clearing"),
        "2": ("inbound", "abandoned", 30, 0, "originator_cancel"),
        "3": ("inbound", "short_abandon", 4, 0, "normal_clearing"),
        "4": ("outbound", "outbound_answered", 9, 60, "normal_clearing"),
        "5": ("inbound", "abandoned", 20, 0, "user_busy"),
    }
    assert Call.objects.get(platform_call_id__endswith="4").seat.code == "1001"


def test_freeswitch_builtin_13_column_template_and_utc_times(phone):
    # given the module's built-in template (a space before accountcode), times in UTC
    line = (
        '"Citizen","13800000021","12345","public","2026-10-12 01:00:00","2026-10-12 01:00:10",'
        '"2026-10-12 01:01:10","70","60","NORMAL_CLEARING","6f1c2a10-0009-4000-8000-000000000009",'
        '"6f1c2a10-0009-4000-8000-0000000000b9", ""\n'
    )
    report = import_cdr(platform=phone.platform, fmt="freeswitch", data=line.encode(), tz="UTC")
    call = Call.objects.get()
    assert (report.errors, call.outcome, call.wait_seconds) == ([], "answered", 10)
    assert (call.offered_at, call.hour) == (dt.datetime(2026, 10, 12, 1, 0, tzinfo=dt.UTC), 9)


def test_the_wrong_number_of_columns_is_a_line_error(phone):
    report = import_cdr(platform=phone.platform, fmt="freeswitch", data=read("asterisk_Master.csv"))
    assert [(e.line, e.field) for e in report.errors][:2] == [(1, "columns"), (2, "columns")]
    assert report.errors[0].message_en == "18 columns, expected 13 or 15"


def test_an_imported_call_is_the_agent_who_sat_at_the_seat_then_and_moves_no_one_now(
    province, phone
):
    # given fz_agent at seat 1001 on the morning of the file, and fz_callback there now
    user = province.users["fz_agent"]
    agents.sign_in(
        user=user, seat=phone.seats["1001"], at=dt.datetime(2026, 10, 12, 8, tzinfo=LOCAL)
    )
    agents.sign_out(user=user, at=dt.datetime(2026, 10, 12, 12, tzinfo=LOCAL))
    now_agent = province.users["fz_callback"]
    agents.sign_in(user=now_agent, seat=phone.seats["1001"])
    agents.set_state(user=now_agent, state="ready")
    changes = AgentStateChange.objects.count()
    # when
    import_cdr(platform=phone.platform, fmt="asterisk", data=read("asterisk_Master.csv"))
    # then the calls are fz_agent's, today's agent is still ready, and no 回拨 was opened
    assert Call.objects.get(platform_call_id="1760230800.1").agent_id == user.pk
    assert agents.active_session(now_agent).state == "ready"
    assert AgentStateChange.objects.count() == changes
    assert CallbackItem.objects.count() == 0


def test_the_command_lists_bad_lines_and_exits_1(phone):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "import_cdr",
            str(DATA / "asterisk_bad.csv"),
            platform="fzcti",
            format="asterisk",
            stdout=out,
        )
    assert exit_.value.code == 1
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "第2行 start: 时间格式不正确：“2026/10/12 9:01”（应为 YYYY-MM-DD HH:MM:SS） / bad time '2026/10/12 9:01' (expected YYYY-MM-DD HH:MM:SS)"
    )
    assert lines[-1].startswith(
        "有错误行，未写入任何数据 / bad lines, nothing written: lines=6 bad_lines=4"
    )
    assert Call.objects.count() == 0


def test_the_command_imports_and_reports_counts(phone):
    out = io.StringIO()
    call_command(
        "import_cdr",
        str(DATA / "freeswitch_Master.csv"),
        platform="fzcti",
        format="freeswitch",
        stdout=out,
    )
    assert out.getvalue().strip() == (
        "导入完成 / imported: lines=5 bad_lines=0 calls=5 new_calls=5 events=12 duplicates=0"
    )
