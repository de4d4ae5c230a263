"""The live stream end to end: a real ASGI server, a real HTTP client reading text/event-stream,
messages published after a real commit. Nothing is timed: each step waits for the server's own
signal (the stream's preamble means the subscription is registered)."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import transaction
from django.test import RequestFactory

from hotline import realtime
from hotline.realtime import topics, views
from hotline.realtime.broker import LocalBroker

from .server import Refused, asgi_server, open_stream, session_cookies

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(province):
    with asgi_server() as base:
        yield base


def publish_committed(topic, data):
    with transaction.atomic():
        realtime.publish(topic, data)


def test_agent_hears_own_topic_after_commit(server, province):
    # given an agent with the stream open (no topic named: the user's own)
    agent = province.users["fz_agent"]
    with open_stream(server, session_cookies(agent)) as stream:
        # when a service publishes to the agent's topic and commits
        publish_committed(f"agent:{agent.pk}", {"type": "answered", "caller": "13800000001"})
        # then the agent's stream carries it
        event = stream.next_event()
    assert event["topic"] == f"agent:{agent.pk}"
    assert event["data"] == {"type": "answered", "caller": "13800000001"}


def test_rolled_back_change_is_never_announced(server, province):
    agent = province.users["fz_agent"]
    with open_stream(server, session_cookies(agent)) as stream:
        # given a publish inside a transaction that rolls back
        with pytest.raises(RuntimeError), transaction.atomic():
            realtime.publish(f"agent:{agent.pk}", {"n": 1})
            raise RuntimeError("rollback")
        # when a later change commits
        publish_committed(f"agent:{agent.pk}", {"n": 2})
        # then only the committed one arrives
        event = stream.next_event()
    assert event["data"] == {"n": 2}


def test_agent_does_not_hear_another_agents_topic(server, province):
    agent, other = province.users["fz_agent"], province.users["xm_agent"]
    with open_stream(server, session_cookies(agent)) as stream:
        publish_committed(f"agent:{other.pk}", {"for": "xm"})
        publish_committed(f"agent:{agent.pk}", {"for": "fz"})
        event = stream.next_event()
    assert event["data"] == {"for": "fz"}


def test_center_staff_hear_their_center(server, province):
    supervisor, fz = province.users["fz_supervisor"], province.units["fz"]
    with open_stream(server, session_cookies(supervisor), params={"topic": f"center:{fz.pk}"}) as s:
        publish_committed(f"center:{fz.pk}", {"waiting": 3})
        event = s.next_event()
    assert (event["topic"], event["data"]) == (f"center:{fz.pk}", {"waiting": 3})


def test_province_staff_watch_a_city_and_the_province(server, province):
    supervisor, xm = province.users["prov_supervisor"], province.units["xm"]
    params = [("topic", f"center:{xm.pk}"), ("topic", "province")]
    with open_stream(server, session_cookies(supervisor), params=params) as s:
        publish_committed("province", {"offered": 1})
        publish_committed(f"center:{xm.pk}", {"offered": 2})
        first, second = s.next_event(), s.next_event()
    assert [first["topic"], second["topic"]] == ["province", f"center:{xm.pk}"]


@pytest.mark.parametrize(
    ("username", "topic"),
    [
        ("fz_agent", "agent:{xm_agent}"),
        ("fz_agent", "center:{fz}"),  # an agent sees own calls, not the center's wallboard
        ("fz_dispatcher", "agent:{fz_dispatcher}"),  # not an agent: no desktop topic
        ("fz_supervisor", "center:{xm}"),
        ("fz_supervisor", "center:{prov}"),  # a city does not watch the province's center
        ("fz_supervisor", "province"),
        ("fz_housing_handler", "center:{fz}"),  # a department is not center staff
        ("prov_supervisor", "center:{fz_housing}"),  # not a center
        ("fz_agent", "desk:{xm}"),  # another city's desks
        ("prov_agent", "desk:{fz}"),  # the desks of the agent's own unit only
        ("fz_supervisor", "desk:{fz}"),  # not an agent: no desk
        ("fz_agent", "agent:abc"),
        ("fz_agent", "tickets"),
    ],
    ids=[
        "other-agent",
        "agent-wallboard",
        "non-agent-desktop",
        "other-city",
        "province-center",
        "province-topic",
        "department",
        "non-center-unit",
        "other-city-desk",
        "city-desk-from-province",
        "non-agent-desk",
        "malformed",
        "unknown",
    ],
)
def test_out_of_scope_topic_does_not_exist(server, province, username, topic):
    ids = {k: u.pk for k, u in province.users.items()} | {
        k: u.pk for k, u in province.units.items()
    }
    with (
        pytest.raises(Refused) as refused,
        open_stream(
            server, session_cookies(province.users[username]), params={"topic": topic.format(**ids)}
        ),
    ):
        pass
    assert refused.value.status == 404
    assert refused.value.body == {
        "code": "not_found",
        "field": "topic",
        "message_zh": "订阅的频道不存在",
        "message_en": "no such topic",
    }


def test_anonymous_stream_is_refused(server, province):
    with pytest.raises(Refused) as refused, open_stream(server, {}):
        pass
    assert refused.value.status == 401
    assert refused.value.body["code"] == "unauthenticated"


def test_only_get_opens_a_stream():
    request = RequestFactory().post("/realtime/stream/")
    # A thread of its own: a browser test earlier in the run may leave this thread's loop running.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, views.stream(request)).result()
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert json.loads(response.content)["field"] == "method"


def test_reconnect_with_last_event_id_gets_what_was_missed(server, province):
    agent = province.users["fz_agent"]
    cookies = session_cookies(agent)
    topic = f"agent:{agent.pk}"
    # given an event seen by the browser, then the stream dropped
    with open_stream(server, cookies) as stream:
        publish_committed(topic, {"n": 1})
        seen = stream.next_event()
    # and two events published while it was away
    publish_committed(topic, {"n": 2})
    publish_committed(topic, {"n": 3})
    # when the browser reconnects with the last id it saw
    with open_stream(server, cookies, headers={"Last-Event-ID": str(seen["id"])}) as stream:
        missed = [stream.next_event()["data"], stream.next_event()["data"]]
    # then it gets exactly the missed ones, in order
    assert missed == [{"n": 2}, {"n": 3}]


def test_default_topics_by_role(province):
    users, units = province.users, province.units
    assert topics.default_topics(users["fz_agent"]) == [
        f"agent:{users['fz_agent'].pk}",
        f"desk:{units['fz'].pk}",
    ]
    assert topics.default_topics(users["prov_supervisor"]) == [
        f"center:{units['prov'].pk}",
        "province",
    ]
    assert topics.default_topics(users["fz_housing_handler"]) == []


def test_local_broker_numbers_messages_in_order():
    broker = LocalBroker()
    assert [broker.publish("t", {}), broker.publish("t", {})] == [1, 2]
