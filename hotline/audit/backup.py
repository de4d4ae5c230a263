"""`hotline backup` / `hotline restore`: an encrypted, verified copy of the whole database.

Why a Django-level dump and not pg_dump (docs/backup.md has the operator's side):
- one format and one restore path for SQLite and PostgreSQL, so a restore drill runs on a
  laptop from a production archive, and a move between the two is the same command;
- the rows are read through the models: citizens' data comes out as clear text and is
  encrypted again under the target's data key on restore, and the lookup hashes are
  recomputed, so an archive stays readable after the data key was rotated and dropped (a
  pg_dump carries the ciphertext and needs the data key ring of the day it was taken);
- the counts of the manifest come from the snapshot the rows come from, and the restore
  checks them and every ticket's hash chain before it commits.
The cost is speed: pg_dump is several times faster. Point-in-time recovery of a large
PostgreSQL stays with the cluster's own tools (base backups + WAL archive, docs/ha.md).

The archive: a clear header line (format, key id, salt, segment size) and then segments of
SM4-GCM (GB/T 32907, the cipher of the data at rest). Each segment is authenticated on its
own, with the header, its index and a last-segment flag as associated data, so a changed,
reordered, dropped or truncated segment fails before any of its bytes is used. The key of
each archive is derived (HKDF-SM3, a random salt) from the backup key: HOTLINE_BACKUP_KEY or
the file named by HOTLINE_BACKUP_KEY_FILE (`<id>:<64 hex digits>`, the format of the data
key), else the data key ring itself. The plaintext is zlib-compressed JSON lines: per table a
line naming its columns, then one line per row, and last the manifest (counts per table,
migration state, SHA-256 of every line before it).
"""

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.duration import duration_iso_string

from hotline import crypto
from hotline.tickets import history, partitions
from hotline.tickets.models import Ticket, TicketEvent

MAGIC = b"HOTLINE-BACKUP 1\n"
SEGMENT = 1 << 20  # plaintext bytes per segment: the most a reader holds before its check
TAG_BYTES = 16
BATCH = 1000  # rows per INSERT round trip on restore
CHUNK = 2000  # rows per fetch on backup

# Tables `migrate` fills by itself: a freshly migrated database has rows there and is still
# empty for a restore (they are replaced by the archive's rows like every other table).
MIGRATION_SEEDED = {
    "contenttypes.contenttype",
    "auth.permission",
    "calls.figuresstate",
    "routing.categoryfunction",
}


class BackupError(Exception):
    """A backup or restore refused, with a message in Chinese and English; nothing changed."""


# --- keys ---------------------------------------------------------------------------------


def key_ring() -> crypto.KeyRing:
    """The backup key ring: HOTLINE_BACKUP_KEY, else HOTLINE_BACKUP_KEY_FILE, else the data
    keys (read at call time, so that a test or an operator's shell can set it)."""
    text, path = (
        os.environ.get("HOTLINE_BACKUP_KEY", ""),
        os.environ.get("HOTLINE_BACKUP_KEY_FILE", ""),
    )
    try:
        if text:
            return crypto.parse_keys(text, "env")
        if path:
            try:
                return crypto.parse_keys(Path(path).read_text(), "file")
            except OSError as exc:
                raise BackupError(
                    f"无法读取备份密钥文件 {path} / cannot read backup key file: {exc}"
                ) from exc
        return crypto.ring()
    except crypto.DataKeyError as exc:
        raise BackupError(f"备份密钥 backup key: {exc}") from exc


def _archive_key(key: crypto.DataKey, salt: bytes) -> bytes:
    # A key per archive: segment nonces count from 0 in every file and never meet twice.
    material = key.sm4 + key.mac
    return HKDF(algorithm=hashes.SM3(), length=16, salt=salt, info=b"hotline backup v1").derive(
        material
    )


def _nonce(index: int) -> bytes:
    return struct.pack(">IQ", 0, index)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if last else 0)


class _SealedWriter:
    """Compresses and encrypts what is written to it into `out`, a segment at a time."""

    def __init__(self, out, key: crypto.DataKey):
        salt = os.urandom(16)
        self.header = MAGIC + (
            json.dumps(
                {"cipher": "SM4-GCM", "kdf": "HKDF-SM3", "key_id": key.id, "salt": salt.hex()},
                sort_keys=True,
            ).encode()
            + b"\n"
        )
        self.key = _archive_key(key, salt)
        self.out = out
        self.out.write(self.header)
        self.zip = zlib.compressobj(3)
        self.pending = bytearray()
        self.index = 0

    def write(self, data: bytes) -> None:
        self.pending += self.zip.compress(data)
        while len(self.pending) >= SEGMENT:
            self._seal(bytes(self.pending[:SEGMENT]), last=False)
            del self.pending[:SEGMENT]

    def close(self) -> None:
        self.pending += self.zip.flush()
        while len(self.pending) > SEGMENT:
            self._seal(bytes(self.pending[:SEGMENT]), last=False)
            del self.pending[:SEGMENT]
        self._seal(bytes(self.pending), last=True)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        enc = Cipher(algorithms.SM4(self.key), modes.GCM(_nonce(self.index))).encryptor()
        enc.authenticate_additional_data(_aad(self.header, self.index, last))
        body = enc.update(plain) + enc.finalize() + enc.tag
        self.out.write(struct.pack(">IB", len(body), 1 if last else 0) + body)
        self.index += 1


def _opened_lines(path: Path, ring: crypto.KeyRing):
    """The plaintext lines of the archive at `path`, each segment authenticated before use."""
    try:
        src = open(path, "rb")  # noqa: SIM115 (closed by the generator's finally)
    except OSError as exc:
        raise BackupError(f"无法读取备份文件 {path} / cannot read backup file: {exc}") from exc
    try:
        if src.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} 不是热线备份文件 / not a hotline backup file")
        meta_line = src.readline(4096)
        try:
            meta = json.loads(meta_line)
            key_id, salt = meta["key_id"], bytes.fromhex(meta["salt"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"备份文件头损坏 / damaged backup header: {path}") from exc
        key = ring.get(key_id)
        if key is None:
            raise BackupError(
                f"备份用密钥 {key_id!r} 加密，当前备份密钥中没有它 / the backup is encrypted "
                f"under key {key_id!r}, which the backup key ring does not hold"
            )
        header, archive_key = MAGIC + meta_line, _archive_key(key, salt)
        unzip, rest, index = zlib.decompressobj(), b"", 0
        while True:
            head = src.read(5)
            if len(head) < 5:
                raise BackupError(f"备份文件不完整（被截断）/ truncated backup file: {path}")
            size, last = struct.unpack(">IB", head)
            body = src.read(size)
            if len(body) != size or size < TAG_BYTES:
                raise BackupError(f"备份文件不完整（被截断）/ truncated backup file: {path}")
            dec = Cipher(
                algorithms.SM4(archive_key), modes.GCM(_nonce(index), body[-TAG_BYTES:])
            ).decryptor()
            dec.authenticate_additional_data(_aad(header, index, bool(last)))
            try:
                plain = dec.update(body[:-TAG_BYTES]) + dec.finalize()
            except InvalidTag as exc:
                raise BackupError(
                    f"备份文件第 {index + 1} 段校验失败：密钥不对或文件被篡改 / segment "
                    f"{index + 1} fails authentication: wrong key or tampered file"
                ) from exc
            index += 1
            data = rest + unzip.decompress(plain)
            *lines, rest = data.split(b"\n")
            yield from lines
            if last:
                break
        if src.read(1):
            raise BackupError(f"备份文件末尾有多余数据 / trailing data after the end: {path}")
        rest += unzip.flush()
        if rest:
            yield rest
    finally:
        src.close()


# --- what is copied -----------------------------------------------------------------------


def copied_models() -> list[type[models.Model]]:
    """Every table the models own (with the many-to-many ones), parents before children where
    the foreign keys allow (the constraints are deferred; the order helps the rest)."""
    chosen = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    order, seen = [], set()

    def visit(model, path=()):
        if model in seen or model in path:
            return
        for f in model._meta.local_concrete_fields:
            target = f.related_model if f.is_relation else None
            if target is not None and target is not model and target in chosen:
                visit(target, (*path, model))
        if model not in seen:
            seen.add(model)
            order.append(model)

    for model in sorted(chosen, key=lambda m: m._meta.label_lower):
        visit(model)
    return order


def _encode(value):
    # Full precision: DjangoJSONEncoder cuts microseconds, which the hash chain covers.
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot store {type(value).__name__}")


def _line(value) -> bytes:
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_encode) + "\n"
    ).encode()


def migration_state() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


class _Snapshot:
    """One consistent read of the whole database: REPEATABLE READ on PostgreSQL; a deferred
    transaction on SQLite (in WAL mode a reader's snapshot, without holding the writers off
    as the IMMEDIATE transactions of the settings would)."""

    def __enter__(self):
        self.own = not connection.in_atomic_block
        if not self.own:  # inside a caller's transaction (the tests): its view is the snapshot
            return self
        if connection.vendor == "postgresql":
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            self.atomic = None
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("BEGIN DEFERRED")
        return self

    def __exit__(self, *exc):
        if not self.own:
            return False
        if self.atomic is not None:
            return self.atomic.__exit__(*exc)
        with connection.cursor() as cursor:
            cursor.execute("COMMIT" if exc[0] is None else "ROLLBACK")
        return False


@dataclass
class Summary:
    manifest: dict
    path: Path
    size: int = 0
    sha256: str = ""
    chains_checked: int = 0
    broken: list = field(default_factory=list)


def backup(out: Path, *, progress=None) -> Summary:
    """Write the whole database to `out` (encrypted) and `out`.manifest.json (its manifest,
    clear text: counts and checksums, no personal data). Returns the summary."""
    ring = key_ring()
    key = ring.current
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    # Owner-only from the start: the archive is encrypted, but nobody else needs to read it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with _Snapshot(), os.fdopen(fd, "wb") as raw:
            writer = _SealedWriter(raw, key)

            def emit(line: bytes):
                digest.update(line)
                writer.write(line)

            for model in copied_models():
                fields = model._meta.local_concrete_fields
                names = [f.attname for f in fields]
                emit(_line({"table": model._meta.label_lower, "columns": names}))
                n = 0
                rows = model._base_manager.order_by("pk").values_list(*names)
                try:
                    for row in rows.iterator(chunk_size=CHUNK):
                        emit(_line(row))
                        n += 1
                except crypto.DataKeyError as exc:
                    raise BackupError(
                        f"表 {model._meta.label_lower} 的加密数据无法用当前数据密钥解密，未写备份 / "
                        f"{model._meta.label_lower}: encrypted data does not decrypt under the data "
                        f"keys: {exc}"
                    ) from exc
                counts[model._meta.label_lower] = n
                if progress:
                    progress(model._meta.label_lower, n)
            span = TicketEvent.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
            edge = partitions.horizon()
            manifest = {
                "format": 1,
                "created_at": timezone.now().isoformat(),
                "engine": connection.vendor,
                "migrations": migration_state(),
                "tables": counts,
                "tickets": counts.get(Ticket._meta.label_lower, 0),
                "rows": sum(counts.values()),
                "plain_sha256": digest.hexdigest(),
                # The months the restore makes partitions for first (PostgreSQL), and where an
                # archived history starts (its events are not in the database: docs/ha.md).
                "events_span": [span["first"].isoformat(), span["last"].isoformat()]
                if span["first"]
                else None,
                "archived_before": partitions.month_of(edge).isoformat() if edge else None,
                "key_id": key.id,
                "key_source": ring.source,
            }
            writer.write(_line({"manifest": manifest}))
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:  # a failed backup leaves no file behind
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)  # a reader never sees half an archive under the final name
    summary = Summary(manifest, out, out.stat().st_size, _file_sha256(out))
    side = {**manifest, "archive": out.name, "archive_sha256": summary.sha256}
    side.pop("migrations")
    side["migration_count"] = len(manifest["migrations"])
    Path(str(out) + ".manifest.json").write_text(
        json.dumps(side, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )
    return summary


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore ------------------------------------------------------------------------------


def read_manifest(path: Path, ring: crypto.KeyRing | None = None) -> dict:
    """Authenticate the whole archive (every segment, the checksum, the counts) without
    touching the database; its manifest."""
    ring = ring or key_ring()
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    table, manifest = None, None
    for line in _opened_lines(Path(path), ring):
        if manifest is not None:
            raise BackupError("备份清单之后还有数据 / data after the manifest")
        if line.startswith(b"["):
            if table is None:
                raise BackupError("备份数据行没有所属表 / a row outside any table")
            counts[table] += 1
        elif line.startswith(b'{"table"'):
            table = json.loads(line)["table"]
            counts[table] = 0
        elif line.startswith(b'{"manifest"'):
            manifest = json.loads(line)["manifest"]
            continue
        else:
            raise BackupError("备份内容格式错误 / malformed backup content")
        digest.update(line + b"\n")
    if manifest is None:
        raise BackupError("备份文件没有清单（不完整）/ the backup has no manifest (incomplete)")
    if manifest.get("plain_sha256") != digest.hexdigest() or manifest.get("tables") != counts:
        raise BackupError("备份内容与清单不符 / the content does not match its manifest")
    return manifest


def _nonempty_tables() -> list[str]:
    found = []
    for model in copied_models():
        label = model._meta.label_lower
        if label not in MIGRATION_SEEDED and model._base_manager.exists():
            found.append(label)
    return found


def _insert_sql(model, fields) -> str:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"  # noqa: S608


# Fields whose JSON value is already what the driver takes: no conversion per value (the
# exact classes, so that the encrypted and hash fields, their subclasses, are converted).
_AS_IS = {
    models.CharField, models.TextField, models.SlugField, models.EmailField, models.URLField,
    models.BooleanField, models.FloatField, models.IntegerField, models.SmallIntegerField,
    models.BigIntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField, models.AutoField, models.BigAutoField,
    models.SmallAutoField,
}  # fmt: skip


def _as_is(f) -> bool:
    if f.is_relation:
        return _as_is(f.target_field)
    return type(f) in _AS_IS


class _Plan:
    """How the archive's rows of one table become the values to insert into this database."""

    def __init__(self, model, fields, db):
        self.db = db
        self.convert = [(i, f) for i, f in enumerate(fields) if not _as_is(f)]
        index = {f.attname: i for i, f in enumerate(fields)}
        # The lookup hash under this database's data key, from the clear number in the row.
        self.hashes = [
            (i, index[model._meta.get_field(f.source).attname])
            for i, f in enumerate(fields)
            if isinstance(f, crypto.PhoneHashField)
        ]
        self.convert = [(i, f) for i, f in self.convert if i not in dict(self.hashes)]

    def row(self, stored: list) -> list:
        out = list(stored)
        for i, source in self.hashes:
            out[i] = crypto.phone_hash(stored[source] or "")
        for i, f in self.convert:
            out[i] = f.get_db_prep_save(f.to_python(stored[i]), self.db)
        return out


def _load(path: Path, ring: crypto.KeyRing, progress=None) -> dict[str, int]:
    by_label = {m._meta.label_lower: m for m in copied_models()}
    loaded: dict[str, int] = {}
    model = sql = plan = None
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per use
    batch: list = []

    def flush():
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()

    for line in _opened_lines(path, ring):
        if line.startswith(b"["):
            batch.append(plan.row(json.loads(line)))
            loaded[model._meta.label_lower] += 1
            if len(batch) >= BATCH:
                flush()
            continue
        flush()
        if model is not None and progress:
            progress(model._meta.label_lower, loaded[model._meta.label_lower])
        if line.startswith(b'{"manifest"'):
            continue  # read on to the end: every segment is authenticated again
        head = json.loads(line)
        model = by_label.get(head["table"])
        if model is None:
            raise BackupError(f"本系统没有表 {head['table']} / no table {head['table']} here")
        by_name = {f.attname: f for f in model._meta.local_concrete_fields}
        missing = [c for c in head["columns"] if c not in by_name]
        if missing or len(head["columns"]) != len(by_name):
            raise BackupError(
                f"表 {head['table']} 的字段与备份不同，请用备份时的版本恢复 / columns of "
                f"{head['table']} differ: restore with the version that made the backup"
            )
        fields = [by_name[c] for c in head["columns"]]
        plan = _Plan(model, fields, db)
        sql = _insert_sql(model, fields)
        loaded[model._meta.label_lower] = 0
    return loaded


@dataclass
class Restored:
    manifest: dict
    counts: dict
    chains_checked: int
    migrated: bool


def restore(path: Path, *, force: bool = False, progress=None) -> Restored:
    """Replace the database's content with the archive at `path`, or refuse and change
    nothing: a wrong key or a changed file, another schema, a target holding data (unless
    `force`), counts or a hash chain that do not come out as in the manifest."""
    path = Path(path)
    ring = key_ring()
    manifest = read_manifest(path, ring)  # the whole file checks out before any write
    migrated = False
    if not connection.introspection.table_names():
        # A database just created: its tables first (when this version makes the backup's
        # schema, so that a refusal leaves even an empty database as it was).
        graph = MigrationLoader(None, ignore_no_migrations=True).graph
        if sorted(f"{app}.{name}" for app, name in graph.nodes) == manifest["migrations"]:
            call_command("migrate", verbosity=0, interactive=False)
            migrated = True
    here = migration_state()
    if here != manifest["migrations"]:
        extra = sorted(set(here) - set(manifest["migrations"]))
        lacking = sorted(set(manifest["migrations"]) - set(here))
        raise BackupError(
            "目标库的数据库结构与备份不同，请用备份时的版本恢复后再迁移 / the target's "
            f"migrations differ from the backup's (target has {len(extra)} more: "
            f"{extra[:3]}; lacks {len(lacking)}: {lacking[:3]})"
        )
    if manifest.get("archived_before") and not partitions.is_partitioned():
        raise BackupError(
            "备份来自部分流转记录已归档的 PostgreSQL（归档起点 "
            f"{manifest['archived_before']}），只能恢复到 PostgreSQL / the backup's history "
            "was partly archived on PostgreSQL: restore it into PostgreSQL"
        )
    nonempty = _nonempty_tables()
    if nonempty and not force:
        raise BackupError(
            f"目标库已有数据（{', '.join(nonempty[:5])} 等 {len(nonempty)} 张表），未做任何改动；"
            "确需覆盖请加 --force / the target database is not empty "
            f"({len(nonempty)} tables hold rows); nothing changed; use --force to replace it"
        )
    models_ = copied_models()
    with transaction.atomic():
        tables = [m._meta.db_table for m in models_]
        if connection.vendor == "postgresql":
            # Rows written earlier in an enclosing transaction leave deferred foreign key
            # checks pending, and TRUNCATE refuses a table with pending checks: run them
            # now, and defer again for the load (the archive's rows come table by table).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for sql in connection.ops.sql_flush(
            no_style(), tables, reset_sequences=False, allow_cascade=True
        ):
            with connection.cursor() as cursor:
                cursor.execute(sql)
        if partitions.is_partitioned():
            if manifest.get("events_span"):
                first, last = map(dt.datetime.fromisoformat, manifest["events_span"])
                partitions.ensure(first, last)  # the rows go to their month, not DEFAULT
            if manifest.get("archived_before"):
                # COMMENT takes no parameters: the date is parsed, not pasted.
                edge = dt.date.fromisoformat(manifest["archived_before"]).isoformat()
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"COMMENT ON TABLE {partitions.TABLE} IS 'archived_before={edge}'"
                    )
        counts = _load(path, ring, progress)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(sql)
        here_counts = {m._meta.label_lower: m._base_manager.count() for m in models_}
        if here_counts != manifest["tables"] or counts != manifest["tables"]:
            differ = sorted(
                k for k in manifest["tables"] if here_counts.get(k) != manifest["tables"][k]
            )
            raise BackupError(
                f"恢复后的行数与清单不符，已回滚 / counts differ from the manifest after "
                f"restore, rolled back: {differ[:5]}"
            )
        checked, broken = 0, []
        for report in history.verify_all(Ticket.objects.all()):
            checked += 1
            if not report.ok:
                broken.append(f"{report.ticket_number}: {report.problem}")
        if broken:
            raise BackupError(
                f"{len(broken)} 张工单的流转记录哈希链校验失败，已回滚 / {len(broken)} "
                f"ticket histories fail their hash chain, rolled back: {broken[:3]}"
            )
    return Restored(manifest, counts, checked, migrated)
