"""Fixtures of the data-at-rest tests."""

import pytest

from hotline import crypto


@pytest.fixture
def keys(settings):
    """A ring of one known key, forgotten again after the test."""
    settings.DATA_KEY = crypto.new_key_entry("k1")
    crypto.reset()
    yield settings
    crypto.reset()
