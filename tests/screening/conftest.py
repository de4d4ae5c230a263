import pytest

from hotline.screening import lexicon, services


@pytest.fixture(autouse=True)
def fresh_lexicon():
    """Tests roll their edits back; the process-wide matcher must not outlive them."""
    lexicon.invalidate()
    services._district_cache["at"] = -1e9
    yield
    lexicon.invalidate()
    services._district_cache["at"] = -1e9
