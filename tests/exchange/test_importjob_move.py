"""ImportJob moved from the portal to the exchange (issue 20): the migrations rename the table
and keep its rows, forwards and backwards."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hotline.exchange.models import ImportJob, ImportState

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("portal", "0001_initial"), ("exchange", "0005_lean_write_indexes")]
AFTER = [("portal", "0002_importjob_to_exchange"), ("exchange", "0006_importjob_from_portal")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def latest_schema_after():
    """Later tests need every migration again, those after AFTER too (police linkage's 0007)."""
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_job_of_the_portal_is_the_exchanges_after_the_move(province):
    # Given the schema before the move and a job in the portal's table
    _migrate(BEFORE)
    agent, center = province.users["fz_agent"], province.units["fz"]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_importjob (created_by_id, center_id, filename, path, headers,"
            " mapping, options, source, state, total, done, created_count, skipped_count,"
            " error_count, errors, message, created_at) VALUES (%s, %s, 'old.csv', '/x',"
            " '[]', '{}', '{}', 'legacy', 'done', 3, 3, 2, 1, 0, '[]', '', %s)",
            [agent.pk, center.pk, "2026-12-01 08:00:00+00:00"],
        )
    # When the move is applied
    _migrate(AFTER)
    # Then the row is the exchange's ImportJob, unchanged
    job = ImportJob.objects.get()
    assert (job.filename, job.source, job.state, job.created_count, job.skipped_count) == (
        "old.csv",
        "legacy",
        ImportState.DONE,
        2,
        1,
    )
    assert job.center_id == center.pk
    assert ImportJob._meta.db_table == "exchange_importjob"
    # And undoing the move gives the portal its table back with the row
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT filename FROM portal_importjob")
        assert cursor.fetchall() == [("old.csv",)]
    _migrate(AFTER)
