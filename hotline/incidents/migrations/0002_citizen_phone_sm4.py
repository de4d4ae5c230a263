"""The number a group's reply was texted to, SM4-encrypted (issue 18): existing rows encrypted
in batches by id; reversed, decrypted again."""

from django.db import migrations

import hotline.crypto


def encrypt_existing(apps, schema_editor):
    hotline.crypto.rekey_rows(
        schema_editor.connection,
        table="incidents_replydelivery",
        columns=("phone",),
        hashes={},
        from_clear=True,
    )


def decrypt_existing(apps, schema_editor):
    hotline.crypto.clear_rows(
        schema_editor.connection, table="incidents_replydelivery", columns=("phone",)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="replydelivery",
            name="phone",
            field=hotline.crypto.EncryptedTextField(
                blank=True, max_length=20, verbose_name="手机号"
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]
