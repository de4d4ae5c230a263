"""Import historical tickets from CSV or Excel: a column mapping, a dry run, a bulk write.

Imported tickets are history, not news. As the bulk path does (tickets/bulk/, decisions
合成数据), they are written straight into the tables as complete records — closed, with the
reply when the file has one — each with its hash-chained events (`history.event_hash`: a
`register` at the message's time and a `close` at the reply's) and no outbox rows.
(source, external id) imports a row once (rule 6): the ticket's external reference is
"{source}:{id}" under the import's channel, and a row already there is skipped. Rows are
written in batches, each its own transaction, so a stopped import resumes where it stopped.
The writing is in importwrite.py.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from hotline.catalog.models import AppealType, Category
from hotline.errors import InvalidInput
from hotline.orgs.models import Region, Unit
from hotline.tickets.models import Channel, Ticket
from hotline.tickets.registration import PHONE_RE

from . import importwrite

FIELDS = {
    "external_id": "外部编号",
    "title": "标题",
    "content": "诉求内容",
    "created_at": "受理时间",
    "reply": "答复内容",
    "replied_at": "答复时间",
    "citizen": "诉求人",
    "phone": "联系电话",
    "address": "地址",
    "region": "所属区划",
    "category": "诉求分类",
    "appeal_type": "诉求类型",
}
REQUIRED = ("content", "created_at")
# Header names (normalised: lower case, no spaces) that suggest a field.
ALIASES = {
    "external_id": ("id", "编号", "留言编号", "工单编号", "外部编号", "external_id"),
    "title": ("title", "留言主题", "标题", "主题", "诉求标题"),
    "content": ("content", "留言详情", "诉求内容", "内容", "详情", "留言内容"),
    "created_at": ("time", "留言时间", "受理时间", "创建时间", "登记时间", "created_at"),
    "reply": ("reply", "答复意见", "答复内容", "答复", "回复"),
    "replied_at": ("reply_time", "答复时间", "回复时间", "replied_at"),
    "citizen": ("user", "留言用户", "诉求人", "姓名", "citizen"),
    "phone": ("phone", "电话", "联系电话", "手机号", "手机号码"),
    "address": ("address", "地址", "详细地址"),
    "region": ("region", "区划", "区划代码", "所属区划", "地区"),
    "category": ("label", "category", "分类", "诉求分类", "一级分类"),
    "appeal_type": ("appeal_type", "诉求类型"),
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")  # fmt: skip
MAX_TEXT = 20_000  # history keeps the whole text; live intake caps content at 5,000
BATCH = 500
SOURCE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,24}$")


# ---- reading -------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    total: int
    rows: Callable[[], Iterator[tuple[int, list]]]  # (spreadsheet row number, cells)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "文件编码无法识别（请用 UTF-8 或 GBK）", "unknown file encoding", field="file"
    )


def read_table(path: Path | str) -> Table:
    """The header and rows of a .csv (UTF-8 or GBK) or .xlsx file (its first sheet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _decode(path.read_bytes())
        records = list(csv.reader(io.StringIO(text, newline="")))
        if not records:
            raise InvalidInput("文件是空的", "the file is empty", field="file")
        body = [r for r in records[1:] if any(c.strip() for c in r)]
        return Table(
            [h.strip() for h in records[0]],
            len(body),
            lambda: (
                (n, r) for n, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)
            ),
        )
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        def sheet():
            return load_workbook(path, read_only=True, data_only=True).worksheets[0]

        first = next(sheet().iter_rows(max_row=1, values_only=True), None)
        if first is None:
            raise InvalidInput("文件是空的", "the file is empty", field="file")

        def rows():
            for n, r in enumerate(sheet().iter_rows(min_row=2, values_only=True), start=2):
                if any(c not in (None, "") for c in r):
                    yield n, list(r)

        return Table(
            ["" if h is None else str(h).strip() for h in first], sum(1 for _ in rows()), rows
        )
    raise InvalidInput("只支持 .csv 和 .xlsx 文件", "only .csv and .xlsx files", field="file")


# ---- mapping -------------------------------------------------------------------------------


def _norm_header(h: str) -> str:
    return re.sub(r"\s+", "", str(h)).lower()


def suggest(headers: list[str]) -> dict[str, str]:
    """{column: field} guessed from the header names (留言主题 → title …)."""
    by_alias = {a: f for f, names in ALIASES.items() for a in names}
    out, taken = {}, set()
    for h in headers:
        f = by_alias.get(_norm_header(h))
        if f and f not in taken:
            out[h] = f
            taken.add(f)
    return out


def parse_map_args(pairs: list[str]) -> dict[str, str]:
    """`col=field` strings (the command line) to a mapping."""
    out = {}
    for pair in pairs:
        col, sep, fld = pair.rpartition("=")
        if not sep or not col:
            raise InvalidInput(f"列对应格式应为 列名=字段：{pair}", f"expected col=field: {pair}",
                               field="mapping")  # fmt: skip
        out[col.strip()] = fld.strip()
    return out


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, int]:
    """{field: column index}; raises InvalidInput(field="mapping") naming what is wrong."""
    index = {}
    for col, fld in mapping.items():
        if not fld:
            continue
        if fld not in FIELDS:
            raise InvalidInput(f"未知字段：{fld}", f"unknown field {fld}", field="mapping")
        if col not in headers:
            raise InvalidInput(
                f"文件中没有列：{col}", f"no column {col} in the file", field="mapping"
            )
        if fld in index:
            raise InvalidInput(f"字段「{FIELDS[fld]}」对应了多列", f"{fld} is mapped twice",
                               field="mapping")  # fmt: skip
        index[fld] = headers.index(col)
    for fld in REQUIRED:
        if fld not in index:
            raise InvalidInput(f"必须指定「{FIELDS[fld]}」对应的列", f"{fld} must be mapped",
                               field="mapping")  # fmt: skip
    return index


# ---- checking ------------------------------------------------------------------------------


@dataclass
class Options:
    center: Unit
    by: object  # the importing user
    source: str
    channel: str = Channel.WEB
    region: Region | None = None  # when the file names none
    category: Category | None = None
    appeal_type: str = AppealType.HELP


@dataclass
class Row:
    row: int
    ref: str
    values: dict


@dataclass
class Report:
    total: int = 0
    valid: int = 0
    created: int = 0
    skipped: int = 0  # already imported, or repeated in the file
    errors: list = field(default_factory=list)
    error_count: int = 0
    max_errors: int = 200

    def error(self, row, fld, zh, en):
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append({"row": row, "field": fld, "message_zh": zh, "message_en": en})


class _Lookups:
    """Regions of the center's area and categories, by code and by name, loaded once."""

    def __init__(self, center: Unit):
        regions = Region.objects.filter(path__startswith=center.region.path)
        self.regions = {r.code: r for r in regions}
        names = Counter(r.name for r in self.regions.values())
        self.regions.update({r.name: r for r in self.regions.values() if names[r.name] == 1})
        cats = list(Category.objects.filter(is_active=True))
        self.categories = {c.code: c for c in cats} | {c.full_name: c for c in cats}
        names = Counter(c.name for c in cats)
        self.categories.update({c.name: c for c in cats if names[c.name] == 1 and c.name not in self.categories})  # fmt: skip
        self.appeals = {v: v for v in AppealType.values} | {lbl: v for v, lbl in AppealType.choices}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps 188006 as 188006.0
    return str(value).strip()


def parse_time(value):
    if isinstance(value, datetime):
        moment = value
    else:
        raw = _text(value).replace("T", " ")
        try:  # the common "2019-05-01 10:00:00", several times faster than strptime
            moment = datetime.fromisoformat(raw) if "-" in raw else None
        except ValueError:
            moment = None
        for fmt in () if moment else TIME_FORMATS:
            try:
                moment = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check(n, cells, index, opts, look, now, report) -> Row | None:
    def get(fld):
        i = index.get(fld)
        return cells[i] if i is not None and i < len(cells) else None

    before = report.error_count
    v = {f: _text(get(f)) for f in FIELDS if f not in ("created_at", "replied_at")}
    v["title"] = v["title"] or v["content"][:30]
    for fld, most in (("title", 200), ("content", MAX_TEXT), ("reply", MAX_TEXT),
                      ("citizen", 64), ("address", 200)):  # fmt: skip
        if len(v[fld]) > most:
            report.error(n, fld, f"{FIELDS[fld]}超过{most}字", f"{fld} longer than {most}")
    if not v["content"]:
        report.error(n, "content", "诉求内容为空", "content is empty")
    if v["phone"] and not PHONE_RE.match(v["phone"]):
        report.error(n, "phone", "联系电话格式不正确", "phone is not a phone number")
    for fld in ("created_at", "replied_at"):
        raw = get(fld)
        v[fld] = parse_time(raw) if _text(raw) else None
        if _text(raw) and v[fld] is None:
            report.error(
                n, fld, f"{FIELDS[fld]}无法识别：{_text(raw)}", f"{fld} is not a date/time"
            )
        elif v[fld] is not None and v[fld] > now:
            report.error(n, fld, f"{FIELDS[fld]}晚于当前时间", f"{fld} is in the future")
    if v["created_at"] is None and not _text(get("created_at")):
        report.error(n, "created_at", "受理时间为空", "created_at is empty")
    if v["created_at"] and v["replied_at"] and v["replied_at"] < v["created_at"]:
        report.error(n, "replied_at", "答复时间早于受理时间", "replied_at is before created_at")
    region = look.regions.get(v["region"]) if v["region"] else opts.region or opts.center.region
    if region is None:
        report.error(n, "region", f"区划不存在或不在本中心辖区：{v['region']}",
                     "unknown region or outside the center's area")  # fmt: skip
    category = look.categories.get(v["category"]) if v["category"] else opts.category
    if v["category"] and category is None:
        report.error(n, "category", f"诉求分类不存在或名称不唯一：{v['category']}",
                     "unknown or ambiguous category")  # fmt: skip
    appeal = look.appeals.get(v["appeal_type"]) if v["appeal_type"] else opts.appeal_type
    if appeal is None:
        report.error(n, "appeal_type", f"诉求类型无效：{v['appeal_type']}", "unknown appeal_type")
    ext = v["external_id"] or _derived_id(v)
    ref = f"{opts.source}:{ext}"
    if len(ref) > 64:
        report.error(n, "external_id", "外部编号过长（来源标识与编号合计不超过63字）",
                     "source and external id together exceed 63 characters")  # fmt: skip
    if report.error_count > before:
        return None
    v.update(region=region, category=category, appeal_type=appeal, external_id=ext)
    return Row(n, ref, v)


def _derived_id(v) -> str:
    """A file without ids still imports once: the id is a digest of the row's substance."""
    when = v["created_at"].isoformat() if v.get("created_at") else ""
    return "h" + hashlib.sha256(f"{v['title']}\0{v['content']}\0{when}".encode()).hexdigest()[:20]


def run(table: Table, mapping: dict, opts: Options, *, dry_run: bool, progress=None) -> Report:
    """Check every row (dry run) or check and write them; `progress(done, total)` per batch."""
    if not SOURCE_RE.match(opts.source or ""):
        raise InvalidInput("来源标识须为1–24位字母、数字、-、_ 或 .", "source must be 1-24 of [A-Za-z0-9_.-]",
                           field="source")  # fmt: skip
    if opts.region is not None and not opts.center.region.covers(opts.region):
        raise InvalidInput("默认区划不在本中心辖区内", "default region is outside the center's area",
                           field="region")  # fmt: skip
    index = check_mapping(mapping, table.headers)
    look, now = _Lookups(opts.center), timezone.now()
    report, seen, batch, done = Report(total=table.total), set(), [], 0

    def flush():
        nonlocal batch
        if batch and not dry_run:
            created, skipped = importwrite.write(batch, opts)
            report.created += created
            report.skipped += skipped
        elif batch:
            refs = [r.ref for r in batch]
            report.skipped += Ticket.objects.filter(
                channel=opts.channel, external_ref__in=refs
            ).count()
        batch = []
        if progress:
            progress(done, table.total)

    for n, cells in table.rows():
        done += 1
        row = _check(n, cells, index, opts, look, now, report)
        if row is not None:
            report.valid += 1
            if row.ref in seen:
                report.skipped += 1  # the same id twice in one file: the first one counts
            else:
                seen.add(row.ref)
                batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    return report
