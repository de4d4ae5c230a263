"""Drop the ticket indexes that another index leads with, and the LIKE companions PostgreSQL
gets for text columns with unique=True / db_index=True, which nothing searches by pattern.

Written by hand: Django's AlterField would drop and re-add (so re-validate) five foreign keys
over the whole ticket table to drop their indexes; here the indexes are dropped by name (the
same names on SQLite and PostgreSQL) and the number's unique constraint is renamed in place.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


REDUNDANT = [
    "tickets_ticket_center_id_29407589",  # ticket_center_status
    "tickets_ticket_region_id_a1e3f74f",  # ticket_region
    "tickets_ticket_lead_unit_id_a38a480d",  # ticket_lead_status
    "tickets_ticket_merged_into_id_3a36ad40",  # ticket_merged, partial
    "tickets_ticket_status_384e643a",  # ticket_status
    "tickets_ticket_status_384e643a_like",
    "tickets_ticket_citizen_phone_a945668e",  # ticket_citizen_phone
    "tickets_ticket_citizen_phone_a945668e_like",
    "tickets_ticket_number_5f958fbb_like",
    "tickets_ticketevent_ticket_id_b572d14b",  # uniq_event_seq
]


def drop_redundant(apps, schema_editor):
    for name in REDUNDANT:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    if schema_editor.connection.vendor == "postgresql":
        # SQLite keeps the column's inline UNIQUE, which is what it makes of the constraint.
        schema_editor.execute(
            'ALTER TABLE "tickets_ticket" RENAME CONSTRAINT "tickets_ticket_number_key" '
            'TO "uniq_ticket_number"'
        )


def restore_redundant(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE "tickets_ticket" RENAME CONSTRAINT "uniq_ticket_number" '
            'TO "tickets_ticket_number_key"'
        )
    for name, table, column in [
        ("tickets_ticket_center_id_29407589", "tickets_ticket", "center_id"),
        ("tickets_ticket_region_id_a1e3f74f", "tickets_ticket", "region_id"),
        ("tickets_ticket_lead_unit_id_a38a480d", "tickets_ticket", "lead_unit_id"),
        ("tickets_ticket_merged_into_id_3a36ad40", "tickets_ticket", "merged_into_id"),
        ("tickets_ticket_status_384e643a", "tickets_ticket", "status"),
        ("tickets_ticket_citizen_phone_a945668e", "tickets_ticket", "citizen_phone"),
        ("tickets_ticketevent_ticket_id_b572d14b", "tickets_ticketevent", "ticket_id"),
    ]:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
        ("orgs", "0001_initial"),
        ("tickets", "0002_created_at_covering_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="center",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="held_tickets",
                        to="orgs.unit",
                        verbose_name="责任中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="citizen_phone",
                    field=models.CharField(blank=True, max_length=20, verbose_name="联系电话"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="lead_unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="led_tickets",
                        to="orgs.unit",
                        verbose_name="主办单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="merged_into",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="merged_tickets",
                        to="tickets.ticket",
                        verbose_name="并入工单",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="number",
                    field=models.CharField(max_length=24, verbose_name="工单编号"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="region",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="orgs.region",
                        verbose_name="所属区划",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("registered", "待受理"),
                            ("pending_dispatch", "待派单"),
                            ("dispatched", "待签收"),
                            ("in_progress", "办理中"),
                            ("return_requested", "退单待审"),
                            ("replied", "待审核"),
                            ("reviewed", "待回访"),
                            ("closed", "已办结"),
                            ("merged", "已并单"),
                            ("invalid", "无效"),
                        ],
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="ticket",
                    constraint=models.UniqueConstraint(
                        fields=("number",), name="uniq_ticket_number"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_redundant, restore_redundant)],
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status"], name="ticket_status"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["citizen_phone"], name="ticket_citizen_phone"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="ticket_merged",
            ),
        ),
    ]
