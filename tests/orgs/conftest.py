import pytest

from hotline.orgs.demo import build_test_province

DEMO_PASSWORD = "demo-pass-123"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The default hasher is slow on purpose; these tests only need a valid hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_accounts(db):
    """The demo province without most towns; returns username → description."""
    return build_test_province(password=DEMO_PASSWORD)
