"""`hotline backup` / `hotline restore` (issue 18): an encrypted archive of the whole database
that restores into an empty database with every count and every ticket's hash chain intact,
and is refused, changing nothing, when the key is wrong, the file was changed or the target
already holds data."""

import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hotline.audit import backup
from hotline.tickets.models import Ticket, TicketEvent
from tests.tickets.factory import ticket_at

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["欧阳明珠", "司马青云", "诸葛晓雯"]
PHONES = ["13912340001", "13912340002", "13912340003"]
BACKUP_KEY = "t1:" + "5a" * 32
OTHER_KEY = "t1:" + "a5" * 32  # the same id, other material: a wrong key, not a missing one


@pytest.fixture
def backup_key(monkeypatch):
    monkeypatch.setenv("HOTLINE_BACKUP_KEY", BACKUP_KEY)
    monkeypatch.delenv("HOTLINE_BACKUP_KEY_FILE", raising=False)


@pytest.fixture
def filled(province, keys, backup_key):
    """Tickets at several points of their life, each with a citizen named and reachable."""
    statuses = ["pending_dispatch", "in_progress", "closed"]
    return [
        ticket_at(province, status, citizen_name=name, citizen_phone=phone)
        for status, name, phone in zip(statuses, NAMES, PHONES, strict=True)
    ]


def _backup(tmp_path) -> Path:
    out = tmp_path / "hotline.bak"
    call_command("backup", out=str(out), quiet_tables=True, stdout=io.StringIO())
    return out


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in backup.copied_models()}


@pytest.fixture
def scratch_url(tmp_path):
    """A new empty database on the server the tests use (or a new SQLite file), dropped after."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    s = connection.settings_dict
    name = f"hotline_restore_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = dict(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
        password=s["PASSWORD"] or None, dbname="postgres", autocommit=True,
    )  # fmt: skip
    with psycopg.connect(**server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    try:
        yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(**server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _hotline(url, tmp_path, *args, data_key):
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_VAR_DIR": str(tmp_path / "var"),
        "HOTLINE_BACKUP_KEY": BACKUP_KEY,
        "HOTLINE_DATA_KEY": data_key,
    }
    env.pop("HOTLINE_BACKUP_KEY_FILE", None)
    (tmp_path / "var").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def _raw_counts(url: str, tables: dict[str, str]) -> dict[str, int]:
    """Row counts read straight from the restored database, not through this process's ORM."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return {
                label: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                for label, t in tables.items()
            }
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            label: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for label, t in tables.items()
        }


def test_backup_restores_into_an_empty_database_with_every_count_and_chain(
    filled, tmp_path, scratch_url
):
    archive = _backup(tmp_path)
    before = _counts()
    tables = {m._meta.label_lower: m._meta.db_table for m in backup.copied_models()}

    # Neither the archive nor its manifest shows a citizen's name or number in clear.
    for path in (archive, Path(f"{archive}.manifest.json")):
        data = path.read_bytes()
        for secret in NAMES + PHONES:
            assert secret.encode() not in data, (path.name, secret)
            assert secret.encode("utf-16-le") not in data
        assert PHONES[0][-8:].encode() not in data
    side = json.loads(Path(f"{archive}.manifest.json").read_text())
    assert side["tables"] == before
    assert side["tickets"] == len(filled)

    # Another process on a new database, under another data key: the restore re-encrypts.
    other_data_key = "r1:" + "3c" * 32
    done = _hotline(scratch_url, tmp_path, "restore", "--in", str(archive),
                    data_key=other_data_key)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{len(filled)} 张工单的哈希链全部通过" in done.stdout
    assert "已先建表" in done.stdout  # the database was empty: not even its tables

    assert _raw_counts(scratch_url, tables) == before
    assert before["tickets.ticket"] == len(filled)
    assert before["tickets.ticketevent"] == TicketEvent.objects.count() > len(filled)

    # The existing chain check, then the citizens as they come back, found by phone through
    # the recomputed hash: in one more process against the restored database.
    probe = (
        "from django.core.management import call_command; call_command('check_chain'); "
        "from hotline import crypto; from hotline.tickets.models import Ticket; "
        "print(sorted((t.number, t.citizen_name, t.citizen_phone) for t in Ticket.objects.all())); "
        f"print(Ticket.objects.filter(crypto.phone_q({PHONES[1]!r})).count())"
    )
    shown = _hotline(scratch_url, tmp_path, "shell", "-c", probe, data_key=other_data_key)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert f"已校验 {len(filled)} 张工单，0 张流转记录异常" in shown.stdout
    expected = sorted((t.number, t.citizen_name, t.citizen_phone) for t in filled)
    assert shown.stdout.splitlines()[-2:] == [str(expected), "1"]


def _refused(archive, match, **options):
    before = _counts()
    with pytest.raises(CommandError, match=match):
        call_command("restore", source=str(archive), stdout=io.StringIO(), **options)
    assert _counts() == before  # nothing changed


def test_a_tampered_archive_is_refused_and_changes_nothing(filled, tmp_path):
    archive = _backup(tmp_path)
    data = bytearray(archive.read_bytes())
    changed = tmp_path / "changed.bak"
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    _refused(changed, "篡改.*tampered", force=True)

    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(archive.read_bytes()[:-40])
    _refused(truncated, "truncated|篡改", force=True)

    # The clear header names the key; changing it breaks every segment's authentication.
    header = archive.read_bytes().replace(b'"cipher": "SM4-GCM"', b'"cipher": "SM4-GCX"', 1)
    edited = tmp_path / "header.bak"
    edited.write_bytes(header)
    _refused(edited, "tampered", force=True)


def test_a_wrong_or_missing_key_is_refused_and_changes_nothing(filled, tmp_path, monkeypatch):
    archive = _backup(tmp_path)

    monkeypatch.setenv("HOTLINE_BACKUP_KEY", OTHER_KEY)
    _refused(archive, "密钥不对.*wrong key", force=True)

    monkeypatch.setenv("HOTLINE_BACKUP_KEY", "t2:" + "77" * 32)
    _refused(archive, "'t1'.*does not hold", force=True)


def test_a_target_holding_data_is_refused_without_force(filled, tmp_path):
    archive = _backup(tmp_path)
    _refused(archive, "目标库已有数据.*not empty.*--force")


def test_force_replaces_what_the_target_holds_with_the_archive(filled, province, tmp_path):
    archive = _backup(tmp_path)
    before = _counts()
    late = ticket_at(province, "in_progress", citizen_name="后来者", citizen_phone="13700000009")

    call_command("restore", source=str(archive), force=True, stdout=io.StringIO())

    assert _counts() == before
    assert not Ticket.objects.filter(number=late.number).exists()
    assert sorted(Ticket.objects.values_list("citizen_name", flat=True)) == sorted(NAMES)
    # The restored sequences go on after the restored rows.
    newer = ticket_at(province, "registered", citizen_name="新来者")
    assert newer.pk > max(t.pk for t in filled)


def test_an_archive_needs_an_existing_directory_and_never_overwrites(filled, tmp_path):
    with pytest.raises(CommandError, match="目录.*no such directory"):
        call_command("backup", out=str(tmp_path / "missing" / "x.bak"))
    archive = _backup(tmp_path)
    size = archive.stat().st_size
    with pytest.raises(CommandError, match="已存在.*exists"):
        call_command("backup", out=str(archive))
    assert archive.stat().st_size == size


def test_a_backup_that_cannot_read_the_data_leaves_no_file(filled, tmp_path, settings):
    from hotline import crypto

    settings.DATA_KEY = "k1:" + "0f" * 32  # the same id as the rows' key, other material
    crypto.reset()
    with pytest.raises(CommandError, match="无法用当前数据密钥解密.*does not decrypt"):
        call_command("backup", out=str(tmp_path / "x.bak"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
