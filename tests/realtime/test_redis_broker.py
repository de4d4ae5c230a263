"""Across processes: a message published in one process (this test) reaches streams served by
the worker processes of `hotline serve`, through Redis pub/sub."""

import contextlib

import pytest
import redis

from hotline.realtime.broker import RedisBroker

from .served import hotline_serve, redis_or_skip
from .server import open_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory):
    """One folder for the served tests' static files: collected once, not per test."""
    return tmp_path_factory.mktemp("served")


def test_publish_in_one_process_reaches_every_worker_stream(province, var_dir):
    agent = province.users["fz_agent"]
    with hotline_serve(var_dir, workers=2) as served, contextlib.ExitStack() as stack:
        # given several streams of the same agent, spread over the server's two workers
        cookies = served.cookies(agent)
        streams = [stack.enter_context(open_stream(served.base, cookies)) for _ in range(4)]
        # when another process publishes to the agent's topic
        number = RedisBroker(redis_or_skip(), served.channel).publish(
            f"agent:{agent.pk}", {"type": "ringing", "caller": "13900000002"}
        )
        # then every stream has it, under the same number
        events = [s.next_event() for s in streams]
    assert (
        events
        == [
            {
                "id": number,
                "topic": f"agent:{agent.pk}",
                "data": {"type": "ringing", "caller": "13900000002"},
            }
        ]
        * 4
    )


def test_numbers_come_from_one_counter(province):
    channel = "hotline-test:counter"
    first, second = RedisBroker(redis_or_skip(), channel), RedisBroker(redis_or_skip(), channel)
    a = first.publish("t", {})
    b = second.publish("t", {})
    assert b == a + 1


def test_many_messages_leave_in_one_pipeline_in_order_with_their_numbers():
    url, channel = redis_or_skip(), "hotline-test:many"
    listener = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    listener.get_message(timeout=1)  # the subscription's confirmation
    broker = RedisBroker(url, channel)
    first = broker.publish("t", {"n": 0})

    numbers = broker.publish_many([("a", {"n": 1}), ("b", {"n": 2})])

    heard = []
    while len(heard) < 3:
        message = listener.get_message(timeout=5)
        assert message is not None, heard
        heard.append(message["data"].decode())
    listener.close()
    assert numbers == [first + 1, first + 2]
    assert heard[1:] == [f'{first + 1}\na\n{{"n": 1}}', f'{first + 2}\nb\n{{"n": 2}}']
