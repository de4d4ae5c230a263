"""CDR import: a platform's call detail records become the same Call rows as its CTI events.

Each call of the file (its rows grouped by uniqueid / uuid) is turned into the events the
platform would have sent (offered or outbound, ringing, answered, ended / abandoned /
voicemail), with event ids derived from the call id ("cdr:<id>:<type>"), and stored through
events.store: a file imported twice, or a call both reported live and imported, gives one
Call, derived from all its events. The mapping is the table in docs/calls.md.

A file is read and checked whole before anything is written: a bad line stops the import
with every error listed (line, field, reason), unless the caller asks to skip bad lines.
Imported calls are history: they move no agent, open no 回拨 item and reach no live page.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from pydantic import ValidationError

from hotline.errors import InvalidInput

from . import events as event_store
from .cdr_formats import FORMATS, LineError, Row, decode, peer, read
from .models import Call, CallPlatform, Seat
from .schemas import EventIn

CHUNK = 200  # calls per transaction: a big file does not hold its locks for minutes
# Dialplan applications that mean "the caller reached a queue" and "left a message".
QUEUE_APPS = {"QUEUE"}
VOICEMAIL_APPS = {"VOICEMAIL"}


class CdrEvent(EventIn):
    """An event built from a CDR: a CDR may not name the agent who answered (FreeSWITCH's
    default template has no channel names), so the live contract's agent rule is lifted."""

    def _required_by_type(self):
        return self


@dataclass
class Report:
    lines: int = 0
    calls: int = 0
    new_calls: int = 0
    events: int = 0
    duplicates: int = 0
    written: bool = False
    errors: list[LineError] = field(default_factory=list)
    event_errors: list[dict] = field(default_factory=list)


@dataclass
class Seats:
    """Endpoint names → seat codes for one platform's center tree (extension, else code)."""

    platform: CallPlatform
    codes: dict = field(default_factory=dict)

    def load(self, peers: set[str]) -> None:
        rows = Seat.objects.filter(
            Q(extension__in=peers) | Q(code__in=peers),
            center__path__startswith=self.platform.center.path,
            is_active=True,
        ).values_list("code", "extension")
        by_ext, by_code = defaultdict(set), defaultdict(set)
        for code, extension in rows:
            by_code[code].add(code)
            if extension:
                by_ext[extension].add(code)
        for name in peers:
            found = by_ext.get(name) or by_code.get(name) or set()
            # Two seats behind one name: left as the name, so the call shows the error.
            self.codes[name] = next(iter(found)) if len(found) == 1 else None

    def seat(self, name: str) -> str | None:
        return self.codes.get(name) if name else None


def _cause(row: Row) -> str:
    return row.disposition.lower().replace(" ", "_")


def call_events(rows: list[Row], seats: Seats) -> list[dict]:
    """The events of one call from its CDR rows (one or more, same call id)."""
    rows = sorted(rows, key=lambda r: (r.start, r.line))
    first, cid = rows[0], rows[0].call_id
    start = first.start
    end = max(r.end for r in rows)
    agent_of = {r.line: seats.seat(peer(r.dstchannel)) or peer(r.dstchannel) for r in rows}
    # An agent's phone placed the call: 外呼 (click-to-dial, 回拨, 回访 or a plain call out).
    caller_seat = seats.seat(peer(first.channel)) or (
        seats.seat(first.caller) if not first.channel else None
    )
    answering = next((r for r in rows if _answered_by_agent(r, agent_of[r.line])), None)
    base = {"call_id": cid}
    out = []
    if caller_seat:
        out.append(
            {
                **base,
                "event_id": f"cdr:{cid}:outbound",
                "type": "outbound",
                "at": start,
                "direction": "outbound",
                "caller": first.caller,
                "called": first.called,
                "agent": caller_seat,
            }
        )
        if answering is not None or (not first.channel and first.answer is not None):
            row = answering or first
            out.append(_event(base, "answered", row.answer, agent=caller_seat))
        out.append(_event(base, "ended", end, cause=_cause(rows[-1])))
        return out
    queue = next((r.lastdata.split(",")[0] for r in rows if r.lastapp.upper() in QUEUE_APPS), "")
    offered = {**base, "event_id": f"cdr:{cid}:offered", "type": "offered", "at": start}
    offered.update(caller=first.caller, called=first.called)
    if first.channel:
        offered["trunk"] = peer(first.channel)[:64]
    if queue:
        offered["queue"] = queue[:32]
    out.append(offered)
    for r in rows:
        agent = agent_of[r.line]
        if agent and r is not answering:
            out.append(
                {
                    **base,
                    "event_id": f"cdr:{cid}:ringing:{agent}",
                    "type": "ringing",
                    "at": r.start,
                    "agent": agent,
                }
            )
    if answering is not None:
        agent = agent_of[answering.line]
        out.append(
            _event(base, "answered", answering.answer, **({"agent": agent} if agent else {}))
        )
        out.append(_event(base, "ended", end, cause=_cause(answering)))
        return out
    mailbox = next((r for r in rows if r.lastapp.upper() in VOICEMAIL_APPS), None)
    if mailbox is not None:
        out.append(_event(base, "voicemail", end, recording=f"voicemail:{mailbox.lastdata}"[:300]))
        return out
    last = rows[-1]
    # Answered by the dialplan (IVR, queue music) but by no agent: the caller gave up waiting.
    cause = "hangup_in_queue" if last.disposition == "ANSWERED" else _cause(last)
    out.append(_event(base, "abandoned", end, cause=cause[:64]))
    return out


def _answered_by_agent(row: Row, agent: str) -> bool:
    if row.answer is None:
        return False
    if row.bleg:  # FreeSWITCH: bridged to a second leg (the agent's phone)
        return True
    return row.disposition == "ANSWERED" and bool(row.dstchannel) and bool(agent)


def _event(base: dict, type_: str, at, **more) -> dict:
    return {**base, "event_id": f"cdr:{base['call_id']}:{type_}", "type": type_, "at": at, **more}


def _validated(batch: list[dict], line: int) -> tuple[list[EventIn], list[dict]] | LineError:
    raw = [{**e, "at": e["at"].isoformat()} for e in batch]
    try:
        return [CdrEvent.model_validate(e) for e in raw], raw
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "row"
        return LineError(line, where, f"无法转换为通话事件：{first['msg']}", first["msg"])


def import_cdr(
    *,
    platform: CallPlatform,
    fmt: str,
    data: bytes,
    tz: str = "Asia/Shanghai",
    dry_run: bool = False,
    skip_bad_lines: bool = False,
) -> Report:
    """Import a CDR file of `platform` (format "asterisk" or "freeswitch"); see the module."""
    if fmt not in FORMATS:
        raise InvalidInput(
            "格式只能是 asterisk 或 freeswitch", "unknown CDR format", field="format"
        )
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise InvalidInput(
            "文件不是 UTF-8 或 GB18030 编码", "the file is not UTF-8 or GB 18030", field="file"
        ) from None
    rows, errors = read(text, fmt, tz=tz)
    report = Report(lines=len(rows) + len(errors), errors=errors)
    groups = defaultdict(list)
    for row in rows:
        groups[row.call_id].append(row)
    seats = Seats(platform)
    seats.load({peer(c) for r in rows for c in (r.channel, r.dstchannel)} - {""})
    if fmt == "freeswitch":
        seats.load({r.caller for r in rows if r.caller})
    built = []
    for call_id, group in groups.items():
        result = _validated(call_events(group, seats), group[0].line)
        if isinstance(result, LineError):
            report.errors.append(result)
        else:
            built.append((call_id, *result))
    report.errors.sort(key=lambda e: e.line)
    report.calls = len(built)
    if dry_run or (report.errors and not skip_bad_lines):
        return report
    resolver = event_store.HistoricalResolver(platform)
    for i in range(0, len(built), CHUNK):
        chunk = built[i : i + CHUNK]
        ids = [c[0] for c in chunk]
        evs = [e for _, es, _ in chunk for e in es]
        raw = [r for _, _, rs in chunk for r in rs]
        with transaction.atomic():
            existing = Call.objects.filter(platform=platform, platform_call_id__in=ids).count()
            result = event_store.store(
                platform=platform, events=evs, raw=raw, resolver=resolver, live=False
            )
        report.new_calls += len(ids) - existing
        report.events += result["accepted"]
        report.duplicates += result["duplicates"]
        report.event_errors += result["errors"]
    report.written = True
    return report
