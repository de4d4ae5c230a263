"""Fixtures of the data-at-rest tests."""

import pytest
from django.db import DatabaseError, connection, transaction

from hotline import crypto
from hotline.audit.models import AppendOnlyError


@pytest.fixture
def keys(settings):
    """A ring of one known key, forgotten again after the test."""
    settings.DATA_KEY = crypto.new_key_entry("k1")
    crypto.reset()
    yield settings
    crypto.reset()


def assert_append_only(row, field: str):
    """Neither the model nor (on PostgreSQL) the database lets `row` be changed or deleted."""
    model, kept = type(row), getattr(row, field)
    setattr(row, field, "改掉")
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    if connection.vendor == "postgresql":  # the database refuses whoever asks
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            model.objects.filter(pk=row.pk).update(**{field: "改掉"})
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            model.objects.filter(pk=row.pk).delete()
    assert getattr(model.objects.get(pk=row.pk), field) == kept
