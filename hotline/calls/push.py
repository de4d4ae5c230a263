"""What the live pages hear: the screen pop on an agent's desktop, and the wallboards.

Topics (hotline.realtime): "agent:<user id>" gets the screen pop when a call rings or is
answered at the agent's seat, and the agent's own state; "center:<unit id>" of the call's
center and of every center above it, and "province", get every change of a call or an
agent's state (a CTI request's changes in one "board" message per topic). Messages leave
after the commit (realtime.publish), never for a change that was rolled back.
"""

import time

from hotline.orgs.models import Unit, User
from hotline.realtime import publish, publish_many

from .history import caller_history
from .models import AgentSession, Call

_TOPICS_TTL = 60.0
_topics: dict[int, tuple[float, list[str]]] = {}


def _center_topics(center_id: int) -> list[str]:
    # Thousands of call changes a second share a few dozen centers, whose place in the tree
    # hardly ever changes: kept a minute per process.
    cached = _topics.get(center_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    topics = _center_topics_now(center_id)
    _topics[center_id] = (time.monotonic() + _TOPICS_TTL, topics)
    return topics


def _center_topics_now(center_id: int) -> list[str]:
    # A city's wallboard shows its counties' calls too: publish up the tree.
    path = Unit.objects.filter(pk=center_id).values_list("path", flat=True).first() or ""
    codes = [c for c in path.split("/") if c]
    ids = Unit.objects.filter(code__in=codes).values_list("pk", flat=True)
    return [f"center:{pk}" for pk in ids] + ["province"]


def call_summary(call: Call) -> dict:
    return {
        "id": call.pk,
        "center_id": call.center_id,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "seat_id": call.seat_id,
        "direction": call.direction,
        "state": call.state,
        "outcome": call.outcome,
        "offered_at": call.offered_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "wait_seconds": call.wait_seconds,
    }


def pops(call: Call, before: dict) -> str:
    """The screen pop a change of `call` sends its agent ("ringing", "answered") or ""."""
    if call.agent_id is None or call.state == "finished":
        return ""
    if before["answered_at"] is None and call.answered_at is not None:
        return "answered"
    if before["ringing_at"] is None and call.ringing_at is not None:
        return "ringing"
    return ""


class Board:
    """What one CTI request tells the live pages: each agent's pops and states, and the
    wallboards one message per topic with every call and agent that changed, all sent to the
    broker in one round trip after the commit (a batch of 100 events was 250 messages, each
    a round trip; then ~70, each a round trip)."""

    def __init__(self):
        self.topics: dict[str, dict] = {}
        self.messages: list[tuple[str, dict]] = []  # each agent's pops and states

    def _add(self, center_id: int, key: str, item: dict) -> None:
        for topic in _center_topics(center_id):
            message = self.topics.setdefault(topic, {"kind": "board", "calls": [], "agents": []})
            message[key].append(item)

    def call(self, call: Call, before: dict) -> None:
        """A changed call: on the wallboards, and popped on its agent's screen."""
        self._add(call.center_id, "calls", call_summary(call))
        event = pops(call, before)
        if event:
            # Without the caller's history: the desk fetches it as the pop arrives (the pop
            # fragment, or /calls/agent/me), in the agent's own request. Computed here it was
            # half the cost of taking an event (bench/bench_cti.py), and the desk loaded it
            # again anyway.
            pop = screen_pop(call, event, with_history=False)
            self.messages.append((f"agent:{call.agent_id}", pop))

    def agent(self, session: AgentSession) -> None:
        """An agent's new state: on the wallboards, and on the agent's own desktop."""
        message = agent_message(session)
        self._add(session.center_id, "agents", message["agent"])
        self.messages.append((f"agent:{session.user_id}", message))

    def flush(self) -> None:
        # Desktops first, in the order of the changes, then the wallboards: one round trip.
        publish_many(self.messages + list(self.topics.items()))
        self.topics, self.messages = {}, []


def screen_pop(call: Call, event: str, *, with_history: bool = True) -> dict:
    """The desktop's payload: the call, and (unless told) the number's region and the
    caller's history as the call's agent may see them."""
    pop = {
        "kind": "screen_pop",
        "event": event,
        "call_id": call.pk,
        "number": call.caller,
        "called": call.called,
        "queue_id": call.queue_id,
    }
    if with_history:
        agent = User.objects.get(pk=call.agent_id)
        pop["history"] = caller_history(agent, call.caller, exclude_call=call)
    return pop


def agent_message(session: AgentSession) -> dict:
    return {
        "kind": "agent",
        "agent": {
            "user_id": session.user_id,
            "seat_id": session.seat_id,
            "center_id": session.center_id,
            "state": session.state,
            "reason": session.reason,
            "since": session.state_since.isoformat(),
            "signed_in": session.ended_at is None,
        },
    }


def agent_changed(session: AgentSession) -> None:
    """Announce an agent's new state to the wallboards (and the agent's own desktop)."""
    message = agent_message(session)
    for topic in _center_topics(session.center_id):
        publish(topic, message)
    publish(f"agent:{session.user_id}", message)
