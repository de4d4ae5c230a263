"""Citizens' personal data at rest: SM4 (GB/T 32907) encryption and HMAC-SM3 lookup hashes.

A stored value is `<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, SM4-GCM with a fresh 96-bit
nonce per value and the field's name as associated data (a ciphertext pasted into another
column does not decrypt). The key id travels with each value so that a rotation re-encrypts
row by row while both keys decrypt (`hotline rotate-data-key`).

Keys come from HOTLINE_DATA_KEY or the file named by HOTLINE_DATA_KEY_FILE, never from the
repository: entries `<id>:<64 hex digits>` separated by commas or new lines, the first one
current, the others kept only to read values not yet rotated. With neither set, a development
key is generated once into the var directory with a loud warning; `hotline check-security`
and the production start refuse it (hotline/audit/security.py).

Equality lookups (repeat callers, the screen pop, the portal) cannot use a ciphertext with a
random nonce: they go through a keyed hash column (`<field>_hash`, HMAC-SM3 of the normalised
number under a key derived from each data key) and `phone_q()`, the one way to filter by it.
"""

import base64
import functools
import os
import queue
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import connections, models, transaction
from django.db.models import Q
from django.db.models.lookups import Exact, IsNull

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
KEY_HEX_RE = re.compile(r"^[0-9a-fA-F]{64}$")
NONCE_BYTES = 12
TAG_BYTES = 16
HASH_HEX = 32  # HMAC-SM3 truncated to 128 bits: ample for equality, half the index
DEVELOPMENT_KEY_NAME = "data-key.development"


class DataKeyError(Exception):
    """The data keys are missing or malformed, or a value does not decrypt under them."""


@dataclass(frozen=True)
class DataKey:
    id: str
    sm4: bytes  # 16 bytes: SM4's key size
    mac: bytes  # 32 bytes: HMAC-SM3 key of the lookup hashes
    # Built once: checking the key on every value was a third of an encryption's time.
    algorithm: algorithms.SM4 = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "algorithm", algorithms.SM4(self.sm4))


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[DataKey, ...]  # the first is current
    source: str  # "env", "file" or "development"

    @property
    def current(self) -> DataKey:
        return self.keys[0]

    def get(self, key_id: str) -> DataKey | None:
        for key in self.keys:
            if key.id == key_id:
                return key
        return None


def _derive(material: bytes, purpose: bytes, length: int) -> bytes:
    # One master per entry, two independent keys: the cipher's and the lookup hash's.
    return HKDF(algorithm=hashes.SM3(), length=length, salt=None, info=purpose).derive(material)


def parse_keys(text: str, source: str) -> KeyRing:
    """The key ring in `text` (`id:hex` entries, first current); DataKeyError naming the fault."""
    keys, seen = [], set()
    for n, entry in enumerate(re.split(r"[,\n]", text or ""), 1):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, _, hex_key = entry.partition(":")
        if not KEY_ID_RE.match(key_id) or not KEY_HEX_RE.match(hex_key.strip()):
            raise DataKeyError(
                f"数据密钥第 {n} 项格式应为 <编号>:<64 位十六进制> / "
                f"data key entry {n} must be <id>:<64 hex digits>"
            )
        if key_id in seen:
            raise DataKeyError(f"数据密钥编号重复：{key_id} / duplicate data key id {key_id}")
        seen.add(key_id)
        material = bytes.fromhex(hex_key.strip())
        keys.append(
            DataKey(
                key_id,
                _derive(material, b"hotline sm4 personal data", 16),
                _derive(material, b"hotline hmac-sm3 lookup", 32),
            )
        )
    if not keys:
        raise DataKeyError("未配置数据密钥 / no data key configured")
    return KeyRing(tuple(keys), source)


def new_key_entry(key_id: str) -> str:
    """A fresh `id:hex` entry for a key file (`hotline rotate-data-key --new-key`)."""
    if not KEY_ID_RE.match(key_id):
        raise DataKeyError("密钥编号只能含字母、数字、-、_（至多 16 个）/ bad key id")
    return f"{key_id}:{os.urandom(32).hex()}"


def _development_ring() -> KeyRing:
    path = Path(settings.VAR_DIR) / DEVELOPMENT_KEY_NAME
    try:
        # O_EXCL: concurrent workers starting at once make one key, and all read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(new_key_entry("dev") + "\n")
    text = path.read_text()
    if not text.strip():  # another process is between its create and its write
        threading.Event().wait(0.2)
        text = path.read_text()
    print(
        f"警告 WARNING: 未配置 HOTLINE_DATA_KEY / HOTLINE_DATA_KEY_FILE，诉求人个人信息使用开发用密钥"
        f" {path} 加密，仅供开发和测试；生产环境拒绝启动。"
        f" Citizens' data is encrypted under a development key; production refuses it.",
        file=sys.stderr,
    )
    return parse_keys(text, "development")


_ring: KeyRing | None = None
_lock = threading.Lock()


def ring() -> KeyRing:
    """The data keys in force (read once per process)."""
    global _ring
    if _ring is None:
        with _lock:
            if _ring is None:
                env = getattr(settings, "DATA_KEY", "")
                path = getattr(settings, "DATA_KEY_FILE", "")
                if env:
                    _ring = parse_keys(env, "env")
                elif path:
                    try:
                        text = Path(path).read_text()
                    except OSError as exc:
                        raise DataKeyError(
                            f"无法读取数据密钥文件 {path} / cannot read data key file: {exc}"
                        ) from exc
                    _ring = parse_keys(text, "file")
                else:
                    _ring = _development_ring()
    return _ring


def reset() -> None:
    """Forget the keys read (tests and a rotation that changed them)."""
    global _ring
    _ring = None


def encrypt(text: str, aad: bytes, key: DataKey | None = None) -> str:
    """`text` encrypted under the current key (or `key`); "" stays "" (no data to hide)."""
    if not text:
        return ""
    key = key or ring().current
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(key.algorithm, modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(text.encode()) + enc.finalize()
    return f"{key.id}:{base64.b64encode(nonce + body + enc.tag).decode()}"


def key_id_of(stored: str) -> str:
    """The id of the key a stored value is under ("" for an empty value)."""
    return stored.partition(":")[0] if stored else ""


def decrypt(stored: str, aad: bytes) -> str:
    if not stored:
        return ""
    key_id, sep, body = stored.partition(":")
    key = ring().get(key_id) if sep else None
    if key is None:
        raise DataKeyError(f"没有编号为 {key_id!r} 的数据密钥 / no data key {key_id!r}")
    raw = base64.b64decode(body)
    nonce, tag = raw[:NONCE_BYTES], raw[-TAG_BYTES:]
    dec = Cipher(key.algorithm, modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    try:
        return (dec.update(raw[NONCE_BYTES:-TAG_BYTES]) + dec.finalize()).decode()
    except InvalidTag as exc:
        raise DataKeyError(f"数据校验失败（密钥 {key_id}）/ value fails authentication") from exc


def normal_phone(number: str) -> str:
    """The form a number is hashed in: digits only, China's country code dropped, so that
    "+86 139-0591-0001" and "13905910001" are one caller."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def phone_hash(number: str, key: DataKey | None = None) -> str:
    """HMAC-SM3 of the normalised `number` under the current key (or `key`); "" for none."""
    return _phone_hash(number, (key or ring().current).mac)


# A registration hashes its caller's number twice (the repeat check's look-up, the row's hash
# column) and a call's events hash it again: a small memo of the latest numbers. Keyed by the
# MAC key itself, so a rotated ring never meets an old entry.
@functools.lru_cache(maxsize=4096)
def _phone_hash(number: str, mac_key: bytes) -> str:
    normal = normal_phone(number)
    if not normal:
        return ""
    mac = hmac.HMAC(mac_key, hashes.SM3())
    mac.update(normal.encode())
    return mac.finalize().hex()[:HASH_HEX]


def phone_hashes(number: str) -> list[str]:
    """The hash of `number` under every key in the ring: a row not yet rotated still matches."""
    if not normal_phone(number):
        return []
    return [phone_hash(number, key) for key in ring().keys]


def phone_q(number: str, field: str = "citizen_phone") -> Q:
    """The one filter by phone: rows whose `field` holds `number` (through `<field>_hash`).
    A number with no digits matches nothing."""
    found = phone_hashes(number)
    return Q(**{f"{field}_hash__in": found}) if found else Q(pk__in=[])


def phones_q(numbers, field: str = "citizen_phone") -> Q:
    """Rows whose `field` holds any of `numbers`."""
    found = sorted({h for n in numbers for h in phone_hashes(n)})
    return Q(**{f"{field}_hash__in": found}) if found else Q(pk__in=[])


class _EmptyOnlyExact(Exact):
    """`field=""` (no value recorded) is the one equality a ciphertext column answers."""

    def __init__(self, lhs, rhs):
        if rhs != "":
            raise FieldError(
                f"{lhs.target.name} is encrypted: filter through hotline.crypto.phone_q "
                "(its keyed hash), not by value"
            )
        super().__init__(lhs, rhs)


class EncryptedTextField(models.TextField):
    """Text stored SM4-encrypted; the Python value is the clear text. `max_length` checks the
    clear text (forms, full_clean) and is not a database limit: the ciphertext is longer.
    Filtering by value is refused (a random nonce makes equal texts differ)."""

    def _aad(self) -> bytes:
        return self.name.encode()

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value, self._aad()) if value else (value if value is None else "")

    def from_db_value(self, value, expression, connection):
        return decrypt(value, self._aad()) if value else value

    def encrypt_value(self, value: str, key: DataKey | None = None) -> str:
        """The stored form of `value` (loaders writing rows without the ORM)."""
        return encrypt(value or "", self._aad(), key)

    def decrypt_value(self, stored: str) -> str:
        return decrypt(stored, self._aad())

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class PhoneHashField(models.CharField):
    """The keyed hash of another field's phone number, computed on every save from it."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", HASH_HEX)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = phone_hash(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def rekey_rows(
    connection,
    *,
    table: str,
    columns: tuple[str, ...],
    hashes: dict[str, str],
    from_clear: bool = False,
    after_id: int = 0,
    batch: int = 2000,
    progress=None,
) -> int:
    """Bring every row of `table` under the current key, in batches by id from `after_id`:
    each of `columns` (named as their fields, the associated data) re-encrypted when under
    another key (or encrypted when `from_clear` and still clear text), each hash column of
    `hashes` (hash column → phone column) recomputed. Rows already current are only read, so
    running it again resumes. `progress(last_id, changed)` after each batch. Returns the
    number of rows changed.

    On PostgreSQL outside a transaction (the rotate command) a second connection writes each
    batch while this one reads and encrypts the next: the database's work and Python's
    overlap. Inside a transaction (a migration, a test) a second connection would not see its
    rows, so one connection does both in turn."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _rekey_pipelined(
            connection, table, columns, hashes, from_clear, after_id, batch, progress
        )
    rewriter = Rewriter(connection, table, columns, (*columns, *hashes))
    changed = 0
    for rows in _batches(connection, table, columns, after_id, batch):
        changed += rekey_batch(rewriter, rows, hashes=hashes, from_clear=from_clear)
        if progress:
            progress(rows[-1][0], changed)
    return changed


def _rekey_pipelined(connection, table, columns, hashes, from_clear, after_id, batch, progress):
    work: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []
    done = [0]

    def write():
        own = connections[connection.alias]  # a new connection: Django's are per thread
        try:
            rewriter = Rewriter(own, table, columns, (*columns, *hashes))
            while (item := work.get()) is not None:
                last, updates = item
                written = rewriter.write(updates)
                missed = [u[0] for u in updates if u[0] not in written]
                done[0] += len(written)
                if missed:  # changed by the servers since read: read again, here
                    done[0] += rekey_batch(
                        rewriter, rewriter.read(missed), hashes=hashes, from_clear=from_clear
                    )
                if progress:
                    progress(last, done[0])
        except BaseException as exc:  # noqa: BLE001 (raised again in the reading thread)
            failed.append(exc)
            while work.get() is not None:  # drain: the reader must not block on a full queue
                pass
        finally:
            own.close()

    writer = threading.Thread(target=write, name=f"rekey-{table}", daemon=True)
    writer.start()
    current = ring().current
    try:
        for rows in _batches(connection, table, columns, after_id, batch):
            if failed:
                break
            work.put((rows[-1][0], _rekeyed(rows, columns, hashes, current, from_clear)))
    finally:
        work.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return done[0]


def _rekeyed(rows, columns, hashes, current: DataKey, from_clear: bool) -> list[tuple]:
    """(id, *stored, *new values, *new hashes) of each row of `rows` (id, *stored) that is
    not wholly under `current` (or still holds clear text, `from_clear`)."""
    updates = []
    for pk, *stored in rows:
        clear, dirty = {}, False
        for column, value in zip(columns, stored, strict=True):
            if not value:
                clear[column] = value
            elif from_clear and ring().get(key_id_of(value)) is None:
                clear[column], dirty = value, True
            else:
                clear[column] = decrypt(value, column.encode())
                dirty = dirty or key_id_of(value) != current.id
        if dirty:
            updates.append(
                (pk, *stored)
                + tuple(encrypt(clear[c], c.encode(), current) for c in columns)
                + tuple(phone_hash(clear[source] or "", current) for source in hashes.values())
            )
    return updates


def rekey_batch(rewriter: "Rewriter", rows, *, hashes: dict[str, str], from_clear=False) -> int:
    """Re-encrypt `rows` (id, *stored columns) as read by `rekey_rows`; the number changed.
    A row the application changed since it was read is not overwritten (its new values are
    under the current key already, or are re-encrypted when read again here)."""
    current = ring().current
    changed = 0
    for _ in range(3):  # a row rewritten by the application three times in a row waits
        updates = _rekeyed(rows, rewriter.guard, hashes, current, from_clear)
        if not updates:
            break
        written = rewriter.write(updates)
        changed += len(written)
        if len(written) == len(updates):
            break
        rows = rewriter.read([u[0] for u in updates if u[0] not in written])
    return changed


class Rewriter:
    """Writes a batch of rows of `table` at once: each row's `columns` set to new values
    only where its `guard` columns still hold what was read (compare-and-set), so that a
    rotation running beside the application never puts back a value it has replaced.

    PostgreSQL: one `UPDATE … FROM unnest(arrays)` per batch (one round trip, one plan)
    instead of a statement per row. SQLite: a statement per row in one transaction (it is
    in-process, so there is no round trip to save)."""

    def __init__(self, connection, table: str, guard: tuple[str, ...], columns: tuple[str, ...]):
        self.connection, self.table, self.guard, self.columns = connection, table, guard, columns
        qn = connection.ops.quote_name
        olds = [f"o{i}" for i in range(len(guard))]
        news = [f"n{i}" for i in range(len(columns))]
        if connection.vendor == "postgresql":
            arrays = ", ".join(["%s::bigint[]"] + ["%s::text[]"] * (len(olds) + len(news)))
            sets = ", ".join(f"{qn(c)} = v.{n}" for c, n in zip(columns, news, strict=True))
            same = " AND ".join(
                f"t.{qn(c)} IS NOT DISTINCT FROM v.{o}" for c, o in zip(guard, olds, strict=True)
            )
            self.sql = (
                f"UPDATE {qn(table)} AS t SET {sets} "  # noqa: S608 (names from models)
                f"FROM unnest({arrays}) AS v(id, {', '.join(olds + news)}) "
                f"WHERE t.id = v.id AND {same} RETURNING t.id"
            )
        else:
            sets = ", ".join(f"{qn(c)} = %s" for c in columns)
            same = " AND ".join(f"{qn(c)} IS %s" for c in guard)
            self.sql = f"UPDATE {qn(table)} SET {sets} WHERE id = %s AND {same}"  # noqa: S608
        cols = ", ".join(qn(c) for c in guard)
        self.select = f"SELECT id, {cols} FROM {qn(table)} WHERE id IN "  # noqa: S608

    def write(self, updates) -> set:
        """Apply `updates` (id, *guard values read, *new column values); the ids written."""
        if not updates:
            return set()
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute(self.sql, [list(col) for col in zip(*updates, strict=True)])
                return {pk for (pk,) in cursor.fetchall()}
            n = len(self.guard)
            written = set()
            for pk, *rest in updates:
                cursor.execute(self.sql, [*rest[n:], pk, *rest[:n]])
                if cursor.rowcount:
                    written.add(pk)
            return written

    def read(self, ids) -> list:
        """The rows (id, *guard columns) of `ids`, as they are now."""
        if not ids:
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(self.select + f"({', '.join(['%s'] * len(ids))}) ORDER BY id", ids)
            return cursor.fetchall()


def _batches(connection, table: str, columns, after_id: int, batch: int):
    """The rows (id, *columns) of `table` after `after_id`, `batch` at a time, by id."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    select = f"SELECT id, {cols} FROM {qn(table)} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
    last = after_id
    while True:
        with connection.cursor() as cursor:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def clear_rows(connection, *, table: str, columns: tuple[str, ...], batch: int = 2000) -> int:
    """Decrypt `columns` of every row of `table` back to clear text, in batches by id: what a
    migration that encrypted them (rekey_rows with `from_clear`) does when reversed. Values
    already clear are left as they are. Returns the number of rows changed."""
    rewriter = Rewriter(connection, table, columns, columns)
    changed = 0
    for rows in _batches(connection, table, columns, 0, batch):
        updates = []
        for pk, *stored in rows:
            if any(v and ring().get(key_id_of(v)) is not None for v in stored):
                updates.append(
                    (pk, *stored)
                    + tuple(
                        decrypt(v, c.encode()) if v and ring().get(key_id_of(v)) else v
                        for c, v in zip(columns, stored, strict=True)
                    )
                )
        changed += len(rewriter.write(updates))
    return changed


def mask_phone(phone: str) -> str:
    """138****0001: enough to tell two callers apart, not enough to call one."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_name(name: str) -> str:
    """张*, 欧阳**: the first character only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
