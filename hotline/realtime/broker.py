"""Brokers carry published messages to the subscribers of a topic.

Every process keeps a `Hub`: the streams (asyncio queues) subscribed to each topic, and the last
few messages of each topic so that a browser reconnecting with `Last-Event-ID` gets what it
missed. A broker feeds the hub:

- `LocalBroker` (the SQLite default, tests): a publish goes straight into this process's hub.
- `RedisBroker` (`HOTLINE_REALTIME_URL=redis://…`, several worker processes): a publish goes to
  one Redis pub/sub channel with a number from one Redis counter (a Lua script: one round trip,
  and every process sees the same numbers, so `Last-Event-ID` means the same on every worker);
  each process listens on that channel and feeds its own hub.

Publishers may be any thread (views run in threads under ASGI); subscribers are asyncio queues
of the streaming views, in any event loop.
"""

import asyncio
import itertools
import json
import logging
import threading
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass

import redis
import redis.asyncio as aredis
from django.conf import settings

log = logging.getLogger(__name__)

# Recent messages kept per topic for reconnecting browsers, and how many topics keep them.
REPLAY_PER_TOPIC = 20
REPLAY_TOPICS = 20_000


@dataclass(frozen=True)
class Message:
    id: int
    topic: str
    payload: str  # JSON text of the published data


class Subscription:
    """One stream's view of the hub: its topics and the queue its messages arrive in."""

    def __init__(self, hub: "Hub", topics: tuple[str, ...]):
        self.hub = hub
        self.topics = topics
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()

    async def get(self, timeout: float) -> Message | None:
        """The next message, or None when `timeout` seconds pass without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """This process's subscribers and recent messages, by topic."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._recent: OrderedDict[str, deque[Message]] = OrderedDict()

    def deliver(self, message: Message) -> None:
        with self._lock:
            recent = self._recent.get(message.topic)
            if recent is None:
                recent = self._recent[message.topic] = deque(maxlen=REPLAY_PER_TOPIC)
                if len(self._recent) > REPLAY_TOPICS:
                    self._recent.popitem(last=False)
            else:
                self._recent.move_to_end(message.topic)
            recent.append(message)
            targets = list(self._subs.get(message.topic, ()))
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub.queue.put_nowait, message)
            except RuntimeError:
                # The stream's event loop is gone (server shut down): nobody left to tell.
                self.unsubscribe(sub)

    def subscribe(self, topics, *, after: int | None = None) -> Subscription:
        """A subscription to `topics`; with `after`, the kept messages numbered above it first.

        Registering and reading the kept messages happen under one lock, so a message is
        either replayed or delivered live, never both and never neither.
        """
        sub = Subscription(self, tuple(topics))
        with self._lock:
            for topic in sub.topics:
                self._subs[topic].add(sub)
            missed = []
            if after is not None:
                for topic in sub.topics:
                    missed.extend(m for m in self._recent.get(topic, ()) if m.id > after)
        for m in sorted(missed, key=lambda m: m.id):
            sub.queue.put_nowait(m)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            for topic in sub.topics:
                subs = self._subs.get(topic)
                if subs is None:
                    continue
                subs.discard(sub)
                if not subs:
                    del self._subs[topic]

    def subscriber_count(self) -> int:
        with self._lock:
            return len({s for subs in self._subs.values() for s in subs})


def _encode(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


class LocalBroker:
    """Subscribers in this process only: the embedded default runs one process."""

    def __init__(self):
        self.hub = Hub()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()

    def publish(self, topic: str, data: dict) -> int:
        with self._ids_lock:
            number = next(self._ids)
        self.hub.deliver(Message(number, topic, _encode(data)))
        return number

    def publish_many(self, messages: list[tuple[str, dict]]) -> list[int]:
        return [self.publish(topic, data) for topic, data in messages]

    async def subscribe(self, topics, *, after: int | None = None) -> Subscription:
        return self.hub.subscribe(topics, after=after)


# INCR and PUBLISH in one round trip; the number travels in front of the message.
_PUBLISH_LUA = """
local n = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], n .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
return n
"""


class RedisBroker:
    """Across worker processes through one Redis pub/sub channel."""

    def __init__(self, url: str, channel: str = "hotline:realtime"):
        self.url = url
        self.channel = channel
        self.counter = f"{channel}:seq"
        self.hub = Hub()
        self._sync = redis.Redis.from_url(url)
        self._script = self._sync.register_script(_PUBLISH_LUA)
        self._listener: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None

    def publish(self, topic: str, data: dict) -> int:
        return int(self._script(keys=[self.counter, self.channel], args=[topic, _encode(data)]))

    def publish_many(self, messages: list[tuple[str, dict]]) -> list[int]:
        """Several messages in one round trip (a pipeline of the same script), in order."""
        if not messages:
            return []
        pipe = self._sync.pipeline(transaction=False)
        keys = [self.counter, self.channel]
        for topic, data in messages:
            self._script(keys=keys, args=[topic, _encode(data)], client=pipe)
        return [int(n) for n in pipe.execute()]

    async def subscribe(self, topics, *, after: int | None = None) -> Subscription:
        await self._ensure_listener()
        return self.hub.subscribe(topics, after=after)

    async def _ensure_listener(self) -> None:
        task = self._listener
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            # First stream of this process (or of a new event loop): start listening, and wait
            # until Redis confirmed the subscription so that nothing published after this
            # stream's start is missed.
            self._ready = asyncio.Event()
            self._listener = asyncio.get_running_loop().create_task(self._listen(self._ready))
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self, ready: asyncio.Event) -> None:
        delay = 0.2
        while True:
            client = aredis.Redis.from_url(self.url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                ready.set()
                delay = 0.2
                async for raw in pubsub.listen():
                    number, topic, payload = raw["data"].decode().split("\n", 2)
                    self.hub.deliver(Message(int(number), topic, payload))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost connection: live streams stay, messages resume
                log.warning("realtime: Redis listener lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                await pubsub.aclose()
                await client.aclose()


_broker = None
_broker_lock = threading.Lock()


def make_broker(url: str, channel: str = "hotline:realtime"):
    """The broker for a `HOTLINE_REALTIME_URL`: empty → in process, redis:// → Redis."""
    if not url:
        return LocalBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url, channel)
    raise ValueError(f"HOTLINE_REALTIME_URL must be empty or redis://…, not {url!r}")


def broker():
    """This process's broker, made from the settings on first use."""
    global _broker
    if _broker is None:
        with _broker_lock:
            if _broker is None:
                _broker = make_broker(settings.REALTIME_URL, settings.REALTIME_CHANNEL)
    return _broker
