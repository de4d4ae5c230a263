import logging
import re

import pytest

from hotline.catalog.services import load_categories
from hotline.crypto import mask_phone


@pytest.fixture
def categories(db):
    load_categories()


class SmsOutbox(logging.Handler):
    """The development SMS gateway writes to the `hotline.sms` log: read the codes there."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def last_code(self, phone):
        for m in reversed(self.messages):
            if mask_phone(phone) in m:  # the log masks the number
                return re.search(r"验证码为(\d{6})", m).group(1)
        return None


@pytest.fixture
def sms():
    handler = SmsOutbox()
    log = logging.getLogger("hotline.sms")
    old = log.level
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    yield handler
    log.removeHandler(handler)
    log.setLevel(old)
