"""The agent's state machine: sign in to a seat, 就绪 / 小休 / 话后整理 / 通话中, sign out.

Every change appends an AgentStateChange with its time (occupancy and the wallboard read
them). Calls move the agent: answered → 通话中; ended → 话后整理, which ends by itself after
`CALLS_AFTER_CALL_SECONDS` or when the agent sets ready; the time spent in it is the call's
after-call work.
"""

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.errors import ErrorCode, HotlineError, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Role

from . import conf, push, rollup
from .models import AgentSession, AgentState, AgentStateChange, Call, Seat
from .sql import bare, bound_cursor

# What an agent may choose; 通话中 and 话后整理 come from the calls.
# What a state change writes on the session (a call's events move agents thousands of times a
# minute at peak: only these columns).
STATE_FIELDS = ["state", "reason", "state_since", "current_call", "after_call_until"]
CHOOSABLE = {AgentState.READY, AgentState.BREAK}


class AgentConflict(HotlineError):
    status = 409
    code = ErrorCode.CONFLICT


def _change(session: AgentSession, state: str, at, *, reason: str = "", call=None):
    """Move `session` to `state` and return the (unsaved) record of the change."""
    session.state, session.reason, session.state_since = state, reason, at
    return AgentStateChange(
        session=session,
        user_id=session.user_id,
        center_id=session.center_id,
        state=state,
        reason=reason,
        at=at,
        call=call,
    )


def _record(session: AgentSession, state: str, at, *, reason: str = "", call=None) -> None:
    _change(session, state, at, reason=reason, call=call).save()


def active_session(user) -> AgentSession | None:
    """The user's open session (seat signed in), after-call work expired as of now."""
    session = (
        AgentSession.objects.select_related("seat", "center")
        .filter(user=user, ended_at=None)
        .first()
    )
    if session is not None:
        expire_after_call(session)
    return session


def sign_in(*, user, seat: Seat, at=None) -> AgentSession:
    """Open a session of `user` at `seat`; one open session per seat and per user."""
    at = at or timezone.now()
    if not seat.is_active:
        raise InvalidInput("座席已停用", "the seat is not active", field="seat")
    if scope.center_membership(user, seat.center, {Role.AGENT, Role.CALLBACK}) is None:
        raise NotFound("座席不存在或无权使用", "no such seat for you", field="seat")
    try:
        with transaction.atomic():
            session = AgentSession.objects.create(
                user=user,
                seat=seat,
                center=seat.center,
                started_at=at,
                state=AgentState.BREAK,
                reason="签入",
                state_since=at,
            )
            _record(session, AgentState.BREAK, at, reason="签入")
            push.agent_changed(session)
    except IntegrityError:
        raise AgentConflict(
            "该座席或该账号已有签入，请先签出",
            "the seat or the user is already signed in",
            field="seat",
        ) from None
    return session


def _locked(user) -> AgentSession:
    session = (
        AgentSession.objects.select_for_update()
        .select_related("seat")
        .filter(user=user, ended_at=None)
        .first()
    )
    if session is None:
        raise AgentConflict("尚未签入座席", "not signed in to a seat", field="state")
    return session


def set_state(*, user, state: str, reason: str = "", at=None) -> AgentSession:
    """The agent chooses 就绪 or 小休 (with a reason); refused during a call."""
    at = at or timezone.now()
    if state not in CHOOSABLE:
        raise InvalidInput("只能选择就绪或小休", "only ready or break can be chosen", field="state")
    reason = (reason or "").strip()
    if state == AgentState.BREAK and not reason:
        raise InvalidInput("小休须填写原因", "a break needs a reason", field="reason")
    with transaction.atomic():
        session = _locked(user)
        if session.state == AgentState.ON_CALL:
            raise AgentConflict("通话中不能切换状态", "cannot change state during a call")
        if session.state == AgentState.AFTER_CALL:
            _end_after_call(session, at)
        if session.state == state and session.reason == reason[:64]:
            return session
        _record(session, state, at, reason=reason[:64] if state == AgentState.BREAK else "")
        session.after_call_until = None
        session.save(update_fields=STATE_FIELDS)
        push.agent_changed(session)
    return session


def sign_out(*, user, at=None) -> AgentSession:
    """Close the agent's session; refused during a call."""
    at = at or timezone.now()
    with transaction.atomic():
        session = _locked(user)
        if session.state == AgentState.ON_CALL:
            raise AgentConflict("通话中不能签出", "cannot sign out during a call")
        if session.state == AgentState.AFTER_CALL:
            _end_after_call(session, at)
        _record(session, AgentState.SIGNED_OUT, at)
        session.ended_at = at
        session.current_call = None
        session.after_call_until = None
        session.save()
        push.agent_changed(session)
    return session


def _end_after_call(session: AgentSession, at, pending: dict | None = None) -> None:
    """Close 话后整理: the call's after-call work is the time spent in it (written now, or
    put in `pending` {call id: seconds} for the caller's batch)."""
    call_id = session.current_call_id
    if call_id is not None:
        end = min(at, session.after_call_until) if session.after_call_until else at
        seconds = max(0, round((end - session.state_since).total_seconds()))
        if pending is not None:
            pending[call_id] = seconds
        else:
            deltas = rollup.Deltas()
            _write_after_call({call_id: seconds}, deltas)
            deltas.flush()
    session.current_call = None
    session.after_call_until = None


def _write_after_call(seconds: dict, deltas: rollup.Deltas) -> None:
    """Write the after-call work of calls {call id: seconds}, and move their figures."""
    if not seconds:
        return
    fields = [name.removesuffix("_id") for name in rollup.FIELDS]
    locked = Call.objects.select_for_update().only(*fields).filter(pk__in=seconds).order_by("pk")
    rows = []
    for call in locked:
        if call.acw_seconds == seconds[call.pk]:
            continue
        before = rollup.snapshot(call)
        call.acw_seconds = seconds[call.pk]
        deltas.change(before, rollup.snapshot(call))
        rows.append((call.acw_seconds, call.pk))
    if rows:
        table = connection.ops.quote_name(Call._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET acw_seconds = %s WHERE id = %s", rows)


def expire_after_call(session: AgentSession, now=None) -> bool:
    """End 话后整理 that has run its time: the agent is ready again at its end."""
    now = now or timezone.now()
    if session.state != AgentState.AFTER_CALL or session.after_call_until is None:
        return False
    if session.after_call_until > now:
        return False
    with transaction.atomic():
        locked = AgentSession.objects.select_for_update().get(pk=session.pk)
        if locked.state != AgentState.AFTER_CALL or locked.after_call_until is None:
            return False
        until = locked.after_call_until
        _end_after_call(locked, until)
        _record(locked, AgentState.READY, until)
        locked.save(update_fields=STATE_FIELDS)
        push.agent_changed(locked)
    session.refresh_from_db()
    return True


def sweep_after_call(now=None) -> int:
    """Expire every 话后整理 past its time (the worker's periodic job); returns how many."""
    now = now or timezone.now()
    done = 0
    for session in AgentSession.objects.filter(
        ended_at=None, state=AgentState.AFTER_CALL, after_call_until__lte=now
    ):
        done += expire_after_call(session, now)
    return done


def on_calls_changed(changes: list, *, deltas: rollup.Deltas, board: push.Board) -> None:
    """Move the seats' agents with their calls ([(call, before, session)] of one batch):
    answered → 通话中, ended → 话后整理; in the order the moves happened, every agent of the
    batch locked once, the changes written by one insert and one update.

    Only the agent the call belongs to moves, and only forward: a late duplicate never puts
    an agent back on a call that has ended.
    """
    moves = []
    for call, before, session in changes:
        if session is None or call.agent_id != session.user_id or call.answered_at is None:
            continue
        was_answered = before["answered_at"] is not None
        was_finished = before["state"] == "finished"
        finished = call.state == "finished"
        if finished and not (was_answered and was_finished):
            if not was_answered:
                # Answered and ended in one batch: the agent was on the call in between.
                moves.append((call.answered_at, 0, call.pk, call, session.pk))
            moves.append((call.ended_at, 1, call.pk, call, session.pk))
        elif not finished and not was_answered:
            moves.append((call.answered_at, 0, call.pk, call, session.pk))
    if not moves:
        return
    sessions = _lock_sessions(sorted({m[4] for m in moves}))
    records, acw, moved = [], {}, {}
    for at, kind, _, call, session_id in sorted(moves, key=lambda m: m[:3]):
        session = sessions[session_id]
        if session.ended_at is not None:
            continue
        if kind == 0:
            at = _at_or_after(session, at)
            if session.state == AgentState.AFTER_CALL:
                _end_after_call(session, at, acw)
            records.append(_change(session, AgentState.ON_CALL, at, call=call))
            session.after_call_until = None
        else:
            if session.state == AgentState.ON_CALL and session.current_call_id not in (
                None,
                call.pk,
            ):
                continue  # already on the next call: this one's end came late
            at = _at_or_after(session, at)
            records.append(_change(session, AgentState.AFTER_CALL, at, call=call))
            session.after_call_until = at + dt.timedelta(seconds=conf.after_call_seconds())
        session.current_call = call
        moved[session.pk] = session
    _write_after_call(acw, deltas)
    _insert_changes(records)
    _save_states(list(moved.values()))
    for session in moved.values():
        board.agent(session)


# What the intake reads of a session it moves (on PostgreSQL: a bare instance, sql.bare).
_SESSION_FIELDS = ["id", "user_id", "seat_id", "center_id", "ended_at", "current_call_id"]
_SESSION_FIELDS += [f for f in STATE_FIELDS if f != "current_call"]
_LOCK_SESSIONS = (
    f"SELECT {', '.join(_SESSION_FIELDS)} FROM {AgentSession._meta.db_table} "
    "WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
)
_CHANGE_COLUMNS = ["session_id", "user_id", "center_id", "state", "reason", "at", "call_id"]
_INSERT_CHANGES = (
    f"INSERT INTO {AgentStateChange._meta.db_table} ({', '.join(_CHANGE_COLUMNS)}) "
    "SELECT * FROM unnest(%b::int8[], %b::int8[], %b::int8[], %b::text[], %b::text[], "
    "%b::timestamptz[], %b::int8[])"
)
_SAVE_STATES = (
    f"UPDATE {AgentSession._meta.db_table} AS a SET state = n.state, reason = n.reason, "
    "state_since = n.state_since, current_call_id = n.call_id, "
    "after_call_until = n.after_call_until FROM unnest(%b::int8[], %b::text[], %b::text[], "
    "%b::timestamptz[], %b::int8[], %b::timestamptz[]) "
    "AS n(id, state, reason, state_since, call_id, after_call_until) WHERE a.id = n.id"
)


def _lock_sessions(ids: list[int]) -> dict[int, AgentSession]:
    """The sessions `ids`, locked in id order. On PostgreSQL one fixed statement read into
    bare instances (the intake locks a few dozen a request)."""
    if connection.vendor != "postgresql":
        locked = AgentSession.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        return {s.pk: s for s in locked}
    with bound_cursor() as cursor:
        cursor.execute(_LOCK_SESSIONS, [ids], binary=True)
        rows = cursor.fetchall()
    db = connection.alias
    return {
        r[0]: bare(AgentSession, db, **dict(zip(_SESSION_FIELDS, r, strict=True))) for r in rows
    }


def _insert_changes(records: list[AgentStateChange]) -> None:
    if connection.vendor != "postgresql":
        AgentStateChange.objects.bulk_create(records)
        return
    if records:
        columns = [[getattr(r, c) for r in records] for c in _CHANGE_COLUMNS]
        with bound_cursor() as cursor:
            cursor.execute(_INSERT_CHANGES, columns)


def _save_states(sessions: list[AgentSession]) -> None:
    # One statement per session, sent as one pipelined batch (as events._save does for calls);
    # on PostgreSQL one UPDATE … FROM unnest(arrays).
    if not sessions:
        return
    if connection.vendor == "postgresql":
        names = ["id", "state", "reason", "state_since", "current_call_id", "after_call_until"]
        with bound_cursor() as cursor:
            cursor.execute(_SAVE_STATES, [[getattr(s, n) for s in sessions] for n in names])
        return
    fields = [AgentSession._meta.get_field(name) for name in STATE_FIELDS]
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    table = connection.ops.quote_name(AgentSession._meta.db_table)
    rows = [
        [f.get_db_prep_save(getattr(s, f.attname), connection) for f in fields] + [s.pk]
        for s in sessions
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)


def _at_or_after(session: AgentSession, at: dt.datetime) -> dt.datetime:
    # Events carry the platform's clock; a state never starts before the one it follows.
    return max(at, session.state_since)
