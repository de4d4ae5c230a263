"""Reading CDR files: Asterisk's Master.csv (cdr_csv) and FreeSWITCH's mod_cdr_csv.

A pure module: bytes in, `Row`s and `LineError`s out; nothing here touches the database.

Asterisk (cdr/cdr_csv.c, build_csv_record) writes, in this order: accountcode, src, dst,
dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
disposition, amaflags — then uniqueid when cdr.conf [csv] says loguniqueid=yes, userfield when
loguserfield=yes, and peeraccount, linkedid, sequence when newcdrcolumns=yes. The sample
cdr.conf turns the first two on: 18 columns. Without uniqueid a call cannot be imported
idempotently, so 16 columns are refused with that reason. Times are "%Y-%m-%d %H:%M:%S" in
the PBX's local time (UTC with usegmtime=yes); an unanswered call has an empty answer field.

FreeSWITCH (mod_cdr_csv.c) writes what its template says. The module's built-in template,
and the "example" template of the vanilla cdr_csv.conf.xml (the default-template there),
are: caller_id_name, caller_id_number, destination_number, context, start_stamp,
answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode —
and the example template adds read_codec, write_codec: 13 or 15 columns, all quoted.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ASTERISK_COLUMNS = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
]
ASTERISK_WIDTHS = {17, 18, 21}
# ast_cdr_disp2str: what the disposition column can say.
ASTERISK_DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}

FREESWITCH_COLUMNS = [
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "context",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "bleg_uuid",
    "accountcode",
    "read_codec",
    "write_codec",
]
FREESWITCH_WIDTHS = {13, 15}

FORMATS = ("asterisk", "freeswitch")
MAX_NUMBER = 32  # Call.caller / Call.called
MAX_CALL_ID = 100  # Call.platform_call_id is 128; the event ids add a prefix and a suffix

# "SIP/1001-0000000a", "PJSIP/1001-00000012", "Local/1001@agents-0000001f;1", "Agent/1001":
# the technology, the peer (endpoint), the dialplan context of a Local channel, the sequence.
_CHANNEL = re.compile(
    r"^[A-Za-z0-9_]+/(?P<peer>[^@;]+?)(?:@[^;]*?)?(?:-[0-9a-fA-F]{6,8})?(?:;\d)?$"
)


@dataclass(frozen=True)
class Row:
    """One CDR line, in the terms of both platforms."""

    line: int
    call_id: str  # Asterisk uniqueid, FreeSWITCH uuid
    caller: str
    called: str
    start: dt.datetime
    answer: dt.datetime | None
    end: dt.datetime
    duration: int
    billsec: int
    disposition: str  # Asterisk disposition, or FreeSWITCH hangup cause (upper case)
    channel: str = ""  # Asterisk: the calling channel
    dstchannel: str = ""  # Asterisk: the channel that answered or was rung
    lastapp: str = ""
    lastdata: str = ""
    bleg: str = ""  # FreeSWITCH bleg_uuid: set when the call was bridged to another leg


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class _Bad(Exception):
    def __init__(self, field: str, zh: str, en: str):
        super().__init__(en)
        self.field, self.zh, self.en = field, zh, en


def peer(channel: str) -> str:
    """The endpoint a channel name names ("SIP/1001-0000000a" → "1001"); "" if none."""
    m = _CHANNEL.match(channel.strip())
    return m.group("peer") if m else ""


def decode(data: bytes) -> str:
    """UTF-8, or GB 18030 as Chinese PBX consoles write; a BOM is dropped."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _time(values: dict, name: str, tz: ZoneInfo, *, optional=False) -> dt.datetime | None:
    text = values[name].strip()
    if not text and optional:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(
            name,
            f"时间格式不正确：“{text}”（应为 YYYY-MM-DD HH:MM:SS）",
            f"bad time {text!r} (expected YYYY-MM-DD HH:MM:SS)",
        ) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _seconds(values: dict, name: str) -> int:
    text = values[name].strip()
    if not text.isdigit():
        raise _Bad(name, f"应为非负整数秒：“{text}”", f"expected whole seconds, got {text!r}")
    return int(text)


def _number(values: dict, name: str) -> str:
    text = values[name].strip()
    if len(text) > MAX_NUMBER:
        raise _Bad(
            name, f"号码超过 {MAX_NUMBER} 个字符", f"number longer than {MAX_NUMBER} characters"
        )
    return text


def _call_id(values: dict, name: str) -> str:
    text = values[name].strip()
    if not text:
        raise _Bad(name, "缺少通话标识", "the call identifier is empty")
    if len(text) > MAX_CALL_ID:
        raise _Bad(name, "通话标识过长", f"call identifier longer than {MAX_CALL_ID}")
    return text


# Where each format keeps the fields both have.
ASTERISK_NAMES = {
    "call_id": "uniqueid",
    "caller": "src",
    "called": "dst",
    "start": "start",
    "answer": "answer",
    "end": "end",
}
FREESWITCH_NAMES = {
    "call_id": "uuid",
    "caller": "caller_id_number",
    "called": "destination_number",
    "start": "start_stamp",
    "answer": "answer_stamp",
    "end": "end_stamp",
}


def _row(values: dict, line: int, tz: ZoneInfo, names: dict, **specific) -> Row:
    start, end = _time(values, names["start"], tz), _time(values, names["end"], tz)
    answer = _time(values, names["answer"], tz, optional=True)
    if end < start:
        raise _Bad(names["end"], "结束时间早于开始时间", "the end is before the start")
    if answer is not None and not (start <= answer <= end):
        raise _Bad(
            names["answer"], "接听时间不在开始与结束之间", "the answer is not within the call"
        )
    return Row(
        line=line,
        call_id=_call_id(values, names["call_id"]),
        caller=_number(values, names["caller"]),
        called=_number(values, names["called"]),
        start=start,
        answer=answer,
        end=end,
        duration=_seconds(values, "duration"),
        billsec=_seconds(values, "billsec"),
        **specific,
    )


def _asterisk(values: dict, line: int, tz: ZoneInfo) -> Row:
    disposition = values["disposition"].strip().upper()
    if disposition not in ASTERISK_DISPOSITIONS:
        raise _Bad(
            "disposition",
            f"未知的通话结果“{values['disposition']}”",
            f"unknown disposition {values['disposition']!r}",
        )
    return _row(
        values,
        line,
        tz,
        ASTERISK_NAMES,
        disposition=disposition,
        **{k: values[k].strip() for k in ("channel", "dstchannel", "lastapp", "lastdata")},
    )


def _freeswitch(values: dict, line: int, tz: ZoneInfo) -> Row:
    cause = values["hangup_cause"].strip().upper()
    if not re.fullmatch(r"[A-Z_0-9]{1,64}", cause):
        raise _Bad(
            "hangup_cause",
            f"挂机原因不正确：“{values['hangup_cause']}”",
            f"bad hangup cause {values['hangup_cause']!r}",
        )
    return _row(
        values, line, tz, FREESWITCH_NAMES, disposition=cause, bleg=values["bleg_uuid"].strip()
    )


def read(text: str, fmt: str, *, tz: str) -> tuple[list[Row], list[LineError]]:
    """The rows of a CDR file's text, and an error for each line that is not a CDR."""
    zone = ZoneInfo(tz)
    columns, widths, parse = (
        (ASTERISK_COLUMNS, ASTERISK_WIDTHS, _asterisk)
        if fmt == "asterisk"
        else (FREESWITCH_COLUMNS, FREESWITCH_WIDTHS, _freeswitch)
    )
    rows, errors = [], []
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    line = 0
    while True:
        first = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(first, "csv", f"CSV 格式错误：{exc}", f"bad CSV: {exc}"))
            continue
        line = first
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) not in widths:
            errors.append(_width_error(line, fmt, len(fields), widths))
            continue
        values = dict(zip(columns, fields, strict=False))
        try:
            rows.append(parse(values, line, zone))
        except _Bad as bad:
            errors.append(LineError(line, bad.field, bad.zh, bad.en))
    return rows, errors


def _width_error(line: int, fmt: str, n: int, widths: set[int]) -> LineError:
    expected = "、".join(str(w) for w in sorted(widths))
    if fmt == "asterisk" and n == 16:
        return LineError(
            line,
            "uniqueid",
            "缺少 uniqueid 列：请在 cdr.conf 的 [csv] 中设置 loguniqueid=yes",
            "no uniqueid column: set loguniqueid=yes in cdr.conf [csv]",
        )
    return LineError(
        line,
        "columns",
        f"列数为 {n}，应为 {expected} 列",
        f"{n} columns, expected {' or '.join(str(w) for w in sorted(widths))}",
    )
