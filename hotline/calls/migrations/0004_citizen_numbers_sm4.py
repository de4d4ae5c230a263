"""Citizens' numbers of calls, 回拨 items and click-to-dial requests SM4-encrypted (issue 18).

Forward: every stored number is encrypted under the current data key and the caller hashed,
in batches by id; the numbers are taken out of the stored CTI events' payloads (the call's
encrypted columns hold them). Reversed: the columns are decrypted and each call's numbers are
put back into its `offered`/`outbound` events, where the code before this migration derived
them from; the numbers a platform had repeated on the other events are not restored.
"""

from django.db import migrations, models

import hotline.crypto

ENCRYPTED = {
    "calls_call": ("caller", "called"),
    "calls_callbackitem": ("number",),
    "calls_dialrequest": ("number",),
}
NUMBER_KEYS = ("caller", "called")
BATCH = 2000


def encrypt_existing(apps, schema_editor):
    connection = schema_editor.connection
    for table, columns in ENCRYPTED.items():
        hashes = {"caller_hash": "caller"} if table == "calls_call" else {}
        hotline.crypto.rekey_rows(
            connection, table=table, columns=columns, hashes=hashes, from_clear=True, batch=BATCH
        )
    CallEvent = apps.get_model("calls", "CallEvent")
    carrying = CallEvent.objects.filter(payload__has_any_keys=list(NUMBER_KEYS)).order_by("pk")
    last = 0
    while True:
        rows = list(carrying.filter(pk__gt=last).only("pk", "payload")[:BATCH])
        if not rows:
            return
        for row in rows:
            row.payload = {k: v for k, v in row.payload.items() if k not in NUMBER_KEYS}
        CallEvent.objects.bulk_update(rows, ["payload"])
        last = rows[-1].pk


def decrypt_existing(apps, schema_editor):
    connection = schema_editor.connection
    for table, columns in ENCRYPTED.items():
        hotline.crypto.clear_rows(connection, table=table, columns=columns, batch=BATCH)
    CallEvent = apps.get_model("calls", "CallEvent")
    starts = (
        CallEvent.objects.filter(type__in=("offered", "outbound"))
        .select_related(None)
        .order_by("pk")
    )
    qn = connection.ops.quote_name
    last = 0
    while True:
        rows = list(starts.filter(pk__gt=last).only("pk", "payload", "call_id")[:BATCH])
        if not rows:
            return
        numbers = {}
        with connection.cursor() as cursor:
            ids = sorted({r.call_id for r in rows})
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"SELECT id, {qn('caller')}, {qn('called')} FROM calls_call "  # noqa: S608
                f"WHERE id IN ({marks})",
                ids,
            )
            numbers = {pk: (caller, called) for pk, caller, called in cursor.fetchall()}
        for row in rows:
            caller, called = numbers.get(row.call_id, ("", ""))
            row.payload = {**row.payload, "caller": caller, "called": called}
        CallEvent.objects.bulk_update(rows, ["payload"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0003_figures_rollup"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="caller_hash",
            field=hotline.crypto.PhoneHashField(
                blank=True, default="", editable=False, max_length=32, source="caller"
            ),
        ),
        migrations.AlterField(
            model_name="call",
            name="called",
            field=hotline.crypto.EncryptedTextField(
                blank=True, max_length=32, verbose_name="被叫号码"
            ),
        ),
        migrations.AlterField(
            model_name="call",
            name="caller",
            field=hotline.crypto.EncryptedTextField(
                blank=True, max_length=32, verbose_name="主叫号码"
            ),
        ),
        migrations.AlterField(
            model_name="callbackitem",
            name="number",
            field=hotline.crypto.EncryptedTextField(max_length=32, verbose_name="号码"),
        ),
        migrations.AlterField(
            model_name="dialrequest",
            name="number",
            field=hotline.crypto.EncryptedTextField(max_length=32, verbose_name="号码"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["caller_hash", "offered_at"], name="call_caller_hash"),
        ),
    ]
