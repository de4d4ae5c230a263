"""The phone a verification code was sent to, SM4-encrypted and found by its keyed hash
(issue 18): existing rows encrypted and hashed in batches by id; reversed, decrypted again."""

from django.db import migrations

import hotline.crypto


def encrypt_existing(apps, schema_editor):
    hotline.crypto.rekey_rows(
        schema_editor.connection,
        table="portal_phonecode",
        columns=("phone",),
        hashes={"phone_hash": "phone"},
        from_clear=True,
    )


def decrypt_existing(apps, schema_editor):
    hotline.crypto.clear_rows(
        schema_editor.connection, table="portal_phonecode", columns=("phone",)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_importjob_to_exchange"),
    ]

    operations = [
        migrations.AddField(
            model_name="phonecode",
            name="phone_hash",
            field=hotline.crypto.PhoneHashField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                max_length=32,
                source="phone",
            ),  # fmt: skip
        ),
        migrations.AlterField(
            model_name="phonecode",
            name="phone",
            field=hotline.crypto.EncryptedTextField(max_length=20, verbose_name="手机号"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]
