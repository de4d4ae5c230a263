"""One event path for live pages: write, publish after the commit, push to who may see it.

Domain services call `publish(topic, data)` inside their transaction; the message leaves only
when the transaction commits (a rolled-back change is never announced). A topic names an
audience, e.g. "agent:<user id>" (one agent's desktop) or "center:<unit id>" (a wallboard);
the page's stream subscribes to the topics its user may see. How a message crosses worker
processes (in process on SQLite; Redis or PostgreSQL NOTIFY in production) is the broker's
business (hotline.realtime.broker), not the caller's.
"""

from django.db import transaction

from .broker import broker


def publish(topic: str, data: dict, *, using: str = "default") -> None:
    """Deliver `data` to the subscribers of `topic` once the current transaction commits."""
    # robust: the change is committed already; a broker that is down must not turn the
    # caller's success into an error (the page catches up from the database on reconnect).
    transaction.on_commit(lambda: broker().publish(topic, data), using=using, robust=True)


def publish_many(messages: list[tuple[str, dict]], *, using: str = "default") -> None:
    """`publish` of each (topic, data), in order, as one delivery after the commit: one
    round trip to the broker for a request's messages (the CTI intake sends dozens)."""
    if messages:
        transaction.on_commit(lambda: broker().publish_many(messages), using=using, robust=True)
