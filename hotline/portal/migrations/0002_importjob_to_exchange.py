"""ImportJob moves to the exchange (issue 20): the table is renamed, its rows kept, and the
model leaves the portal's state; exchange 0006 takes it into the exchange's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="importjob", table="exchange_importjob"),
            ],
            state_operations=[
                migrations.DeleteModel(name="ImportJob"),
            ],
        ),
    ]
