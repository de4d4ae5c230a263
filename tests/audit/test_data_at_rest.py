"""Citizens' personal data at rest (issue 18): SM4-encrypted in every table, found by phone
only through its keyed hash, rotated to a new key row by row."""

import io

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection

from hotline import crypto
from hotline.tickets.models import Ticket
from tests.tickets.factory import ticket_at

NAME = "欧阳明轩"
PHONE = "13977770001"
ADDRESS = "鼓楼区鼓东街道丽景花园7号楼"


def _dump() -> str:
    """The SQL text of every row of every table, as a backup would hold it."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            with cursor.cursor.copy(f'COPY (SELECT * FROM "{table}") TO STDOUT') as copy:
                out += [bytes(block).decode() for block in copy]
    return "\n".join(out)


def test_a_database_dump_shows_no_citizens_name_phone_or_address(province, keys):
    ticket = ticket_at(province, "in_progress", citizen_name=NAME, citizen_phone=PHONE,
                       address=ADDRESS)  # fmt: skip

    dump = _dump()

    assert Ticket.objects.filter(number=ticket.number).exists()
    assert ticket.number in dump  # the dump does hold the ticket's rows
    assert PHONE not in dump
    assert PHONE[-8:] not in dump
    assert NAME not in dump
    assert ADDRESS not in dump
    stored = Ticket.objects.filter(pk=ticket.pk).values_list("citizen_phone", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone FROM tickets_ticket WHERE id = %s", [ticket.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("k1:")
    assert list(stored) == [PHONE]


def test_the_read_back_is_the_clear_text(province, keys):
    ticket = ticket_at(province, "pending_dispatch", citizen_name=NAME, citizen_phone=PHONE,
                       address=ADDRESS)  # fmt: skip

    again = Ticket.objects.get(pk=ticket.pk)

    assert (again.citizen_name, again.citizen_phone, again.address) == (NAME, PHONE, ADDRESS)


@pytest.mark.parametrize(
    "typed",
    [PHONE, "+86 139-7777-0001", "0086 13977770001", " 139 7777 0001 "],
    ids=["plain", "country-code-dashes", "0086", "spaces"],
)
def test_a_phone_is_found_through_its_hash_however_typed(province, keys, typed):
    ticket = ticket_at(province, "pending_dispatch", citizen_phone=PHONE)
    ticket_at(province, "pending_dispatch", citizen_phone="13977770002")

    found = list(Ticket.objects.filter(crypto.phone_q(typed)).values_list("pk", flat=True))

    assert found == [ticket.pk]


def test_filtering_by_the_encrypted_value_is_refused(province, keys):
    with pytest.raises(FieldError, match="citizen_phone is encrypted"):
        list(Ticket.objects.filter(citizen_phone=PHONE))
    with pytest.raises(FieldError):
        list(Ticket.objects.filter(citizen_name__icontains="欧阳"))


def test_a_changed_ciphertext_fails_to_decrypt(province, keys):
    ticket = ticket_at(province, "pending_dispatch", citizen_phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone FROM tickets_ticket WHERE id = %s", [ticket.pk])
        (raw,) = cursor.fetchone()
        key_id, body = raw.split(":")
        flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
        cursor.execute(
            "UPDATE tickets_ticket SET citizen_phone = %s WHERE id = %s",
            [f"{key_id}:{flipped}", ticket.pk],
        )

    with pytest.raises(crypto.DataKeyError):
        Ticket.objects.get(pk=ticket.pk)


def test_a_name_pasted_into_the_phone_column_does_not_decrypt(province, keys):
    ticket = ticket_at(province, "pending_dispatch", citizen_name=NAME, citizen_phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET citizen_phone = citizen_name WHERE id = %s", [ticket.pk]
        )

    with pytest.raises(crypto.DataKeyError):
        Ticket.objects.get(pk=ticket.pk)


def test_rotation_reencrypts_every_row_and_lookups_work_throughout(province, keys):
    tickets = [
        ticket_at(province, "pending_dispatch", citizen_phone=f"1397777000{i}") for i in range(3)
    ]
    new = crypto.new_key_entry("k2")
    keys.DATA_KEY = new + "," + keys.DATA_KEY
    crypto.reset()
    # Before the rotation ran: rows under k1 still decrypt and are found by phone.
    assert Ticket.objects.filter(crypto.phone_q("13977770001")).get().pk == tickets[1].pk
    seen = []

    changed = crypto.rekey_rows(
        connection,
        table="tickets_ticket",
        columns=("citizen_name", "citizen_phone", "address"),
        hashes={"citizen_phone_hash": "citizen_phone"},
        batch=2,
        progress=lambda last, n: seen.append(n),
    )

    assert changed == 3
    assert seen == [2, 3]
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone, citizen_name FROM tickets_ticket")
        assert {p.split(":")[0] + n.split(":")[0] for p, n in cursor.fetchall()} == {"k2k2"}
    keys.DATA_KEY = new
    crypto.reset()  # the old key dropped: everything reads under k2 alone
    assert [t.citizen_phone for t in Ticket.objects.order_by("pk")] == [
        "13977770000",
        "13977770001",
        "13977770002",
    ]
    assert Ticket.objects.filter(crypto.phone_q("13977770002")).get().pk == tickets[2].pk
    # Run again: nothing is left to change (a stopped rotation resumes the same way).
    assert crypto.rekey_rows(connection, table="tickets_ticket",
                             columns=("citizen_name", "citizen_phone", "address"),
                             hashes={"citizen_phone_hash": "citizen_phone"}) == 0  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["", "k1:abc", "k1:" + "0" * 63, "bad id:" + "0" * 64, "k1:" + "0" * 64 + ",k1:" + "1" * 64],
    ids=["empty", "short", "63-digits", "bad-id", "duplicate-id"],
)
def test_a_malformed_key_is_refused_with_a_reason(text):
    with pytest.raises(crypto.DataKeyError, match="/"):
        crypto.parse_keys(text, "env")


def test_the_rotate_command_reports_progress_and_resumes(province, keys):
    for i in range(3):
        ticket_at(province, "pending_dispatch", citizen_phone=f"1397777100{i}")
    keys.DATA_KEY = crypto.new_key_entry("k3") + "," + keys.DATA_KEY
    crypto.reset()
    first, again = io.StringIO(), io.StringIO()

    call_command("rotate_data_key", "--batch", "2", stdout=first)
    call_command("rotate_data_key", stdout=again)

    assert "当前密钥 current key: k3（共 2 个）" in first.getvalue()
    assert "tickets_ticket: 完成，重新加密 3 行" in first.getvalue()
    assert "--after-id" in first.getvalue()
    assert "tickets_ticket: 完成，重新加密 0 行" in again.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT substr(citizen_phone, 1, 3) FROM tickets_ticket")
        assert cursor.fetchall() == [("k3:",)]


TICKET_COLUMNS = ("citizen_name", "citizen_phone", "address")
TICKET_HASHES = {"citizen_phone_hash": "citizen_phone"}


def _key_ids(pk) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT citizen_name, citizen_phone, address FROM tickets_ticket WHERE id = %s", [pk]
        )
        return {crypto.key_id_of(v) for v in cursor.fetchone() if v}


def _tickets_then_new_key(province, keys, n: int, phones: str, key_id: str) -> list[Ticket]:
    """`n` tickets (phones `phones` + index) under k1, then `key_id` put first in the ring."""
    tickets = [
        ticket_at(province, "pending_dispatch", citizen_name=NAME, citizen_phone=f"{phones}{i}")
        for i in range(n)
    ]
    keys.DATA_KEY = crypto.new_key_entry(key_id) + "," + keys.DATA_KEY
    crypto.reset()
    return tickets


def test_a_row_the_application_changes_during_its_rotation_keeps_its_new_value(province, keys):
    tickets = _tickets_then_new_key(province, keys, 3, "1397777200", "k4")
    rewriter = crypto.Rewriter(
        connection, "tickets_ticket", TICKET_COLUMNS, (*TICKET_COLUMNS, *TICKET_HASHES)
    )
    read = rewriter.read([t.pk for t in tickets])  # the rotation read the batch...
    # ...then, before it wrote, a server (on the new key) changed two of the rows: one saved
    # whole with a new phone (all under k4), the other's name alone (its phone still k1).
    moved = Ticket.objects.get(pk=tickets[1].pk)
    moved.citizen_phone = "13977772999"
    moved.save()
    renamed = Ticket.objects.get(pk=tickets[2].pk)
    renamed.citizen_name = "林女士"
    renamed.save(update_fields=["citizen_name"])

    changed = crypto.rekey_batch(rewriter, read, hashes=TICKET_HASHES)

    assert changed == 2  # the first as read; the renamed one read again (the moved one was done)
    assert all(_key_ids(t.pk) == {"k4"} for t in tickets)
    keys.DATA_KEY = keys.DATA_KEY.split(",")[0]  # the old key dropped
    crypto.reset()
    again = {t.pk: t for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    assert again[tickets[1].pk].citizen_phone == "13977772999"
    assert (again[tickets[2].pk].citizen_name, again[tickets[2].pk].citizen_phone) == (
        "林女士",
        "13977772002",
    )
    assert again[tickets[0].pk].citizen_name == NAME
    assert Ticket.objects.filter(crypto.phone_q("13977772999")).get().pk == tickets[1].pk
    assert Ticket.objects.filter(crypto.phone_q("13977772002")).get().pk == tickets[2].pk


def test_a_stopped_rotation_resumes_from_the_table_and_id_it_printed(province, keys):
    tickets = _tickets_then_new_key(province, keys, 4, "1397777300", "k5")
    middle = tickets[1].pk
    out = io.StringIO()

    call_command("rotate_data_key", "--table", "tickets_ticket", "--after-id", str(middle),
                 stdout=out)  # fmt: skip

    assert "tickets_ticket: 完成，重新加密 2 行" in out.getvalue()
    assert [_key_ids(t.pk) for t in tickets] == [{"k1"}, {"k1"}, {"k5"}, {"k5"}]
    rest = io.StringIO()
    call_command("rotate_data_key", stdout=rest)
    assert "tickets_ticket: 完成，重新加密 2 行" in rest.getvalue()
    assert all(_key_ids(t.pk) == {"k5"} for t in tickets)


@pytest.mark.django_db(transaction=True)
def test_the_command_outside_a_transaction_rotates_every_row_and_a_rerun_finds_none(province, keys):
    # Outside a transaction, PostgreSQL writes on a second connection while the first reads.
    tickets = _tickets_then_new_key(province, keys, 5, "1397777500", "k7")
    first, again = io.StringIO(), io.StringIO()

    call_command("rotate_data_key", "--batch", "2", stdout=first)
    call_command("rotate_data_key", stdout=again)

    assert "tickets_ticket: 完成，重新加密 5 行" in first.getvalue()
    assert f"tickets_ticket: id {tickets[-1].pk}/{tickets[-1].pk} (100.0%)" in first.getvalue()
    assert "tickets_ticket: 完成，重新加密 0 行" in again.getvalue()
    assert all(_key_ids(t.pk) == {"k7"} for t in tickets)
    keys.DATA_KEY = keys.DATA_KEY.split(",")[0]
    crypto.reset()
    assert Ticket.objects.filter(crypto.phone_q("13977775003")).get().citizen_name == NAME


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--after-id", "5"], "--table"), (["--table", "no_such_table"], "tickets_ticket")],
    ids=["after-id-alone", "unknown-table"],
)
def test_a_bad_resume_point_is_refused_and_changes_nothing(province, keys, args, named):
    (ticket,) = _tickets_then_new_key(province, keys, 1, "1397777400", "k6")

    with pytest.raises(CommandError, match=named):
        call_command("rotate_data_key", *args, stdout=io.StringIO())

    assert _key_ids(ticket.pk) == {"k1"}


def test_the_rotate_command_makes_a_new_key_entry():
    out = io.StringIO()
    call_command("rotate_data_key", "--new-key", "k2027a", stdout=out)
    assert crypto.parse_keys(out.getvalue(), "file").current.id == "k2027a"
