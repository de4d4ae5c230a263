"""Brokers carry published messages to the subscribers of a topic.

The in-process broker serves one process (the SQLite default, tests); a multi-process
deployment sets a broker that crosses processes. Subscribers are asyncio queues of the
streaming views; publishers may be any thread.
"""

import asyncio
import json
import threading
from collections import defaultdict


class LocalBroker:
    """Subscribers in this process only."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = defaultdict(
            set
        )

    def publish(self, topic: str, data: dict) -> None:
        message = (topic, json.dumps(data, ensure_ascii=False, default=str))
        with self._lock:
            targets = list(self._subs.get(topic, ()))
        for loop, queue in targets:
            loop.call_soon_threadsafe(queue.put_nowait, message)

    def subscribe(self, topics, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            for topic in topics:
                self._subs[topic].add((loop, queue))

    def unsubscribe(self, topics, queue: asyncio.Queue) -> None:
        with self._lock:
            for topic in topics:
                subs = self._subs.get(topic)
                if subs is None:
                    continue
                subs.difference_update({s for s in subs if s[1] is queue})
                if not subs:
                    del self._subs[topic]


_broker: LocalBroker | None = None


def broker():
    global _broker
    if _broker is None:
        _broker = LocalBroker()
    return _broker
