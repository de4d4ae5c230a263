"""SMS senders behind one interface, `send(phone, text)`.

By default the gateway of the notifications' SMS channel (supervision.notify; in development
it writes to the log, the portal's codes use it too). With `HOTLINE_SMS_FILE` set, messages are
appended to that file, one JSON line each: the development and test sender that can be read
back.
"""

import json
import threading
from pathlib import Path

from django.conf import settings

from hotline.supervision import notify

_lock = threading.Lock()


class FileSmsBackend:
    def __init__(self, path):
        self.path = Path(path)

    def send(self, phone: str, text: str) -> None:
        line = json.dumps({"phone": phone, "text": text}, ensure_ascii=False) + "\n"
        with _lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines() if x]


def backend():
    """The sender in use."""
    path = getattr(settings, "HOTLINE_SMS_FILE", "")
    if path:
        return FileSmsBackend(path)
    for channel in notify.CHANNELS:
        if isinstance(channel, notify.SmsChannel):
            return channel.backend
    return notify.SmsLogBackend()
