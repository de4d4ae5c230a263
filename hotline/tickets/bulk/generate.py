"""Making one chunk: pure computation, no database (the workers run it)."""

import bisect
import hashlib
import json
import mmap
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from .. import synthetic
from ..history import GENESIS, event_hash
from ..models import Status, stored_personal
from ..synthetic import TEMPLATES
from .clock import EPOCH, ONE_US, US, _Days, _Deadlines, _dt, _naive_clock, _seconds_of_day
from .plan import (
    CHANNEL_MIX,
    RECENT_MIX,
    REPLY,
    SATISFACTION_MIX,
    SETTLED_AFTER,
    _copy_escape,
    _Plan,
    _Task,
)


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _cumulative(mix):
    total, cum = 0, []
    for _, weight in mix:
        total += weight
        cum.append(total)
    return [str(x) for x, _ in mix], cum, total


class _Out:
    """Where a chunk's COPY data goes: three regions of a (shared) buffer, in small batches.

    Encoding line by line into a buffer that is reused from chunk to chunk is several times
    cheaper than building one big string per chunk (no fresh pages to fault in), and the
    parent process reads the buffer in place: nothing is pickled or piped.
    """

    BATCH = 4096  # lines

    def __init__(self, buffer: mmap.mmap, sizes: tuple[int, int, int]):
        self.buffer = buffer
        starts = (0, sizes[0], sizes[0] + sizes[1])
        self.regions = [
            [start, start, start + size, []] for start, size in zip(starts, sizes, strict=True)
        ]

    def write(self, which: int, lines: list[str]):
        if not lines:
            return
        data = b"\n".join(map(str.encode, lines)) + b"\n"
        region = self.regions[which]
        start, pos, end, spill = region
        if spill or pos + len(data) > end:
            spill.append(data)  # does not fit: carried back the slow way
        else:
            self.buffer[pos : pos + len(data)] = data
            region[1] = pos + len(data)
        lines.clear()

    def parts(self):
        return [(start, pos - start, spill) for start, pos, _, spill in self.regions]


@dataclass
class _Chunk:
    index: int
    tickets: object  # PostgreSQL: (offset, length, spilled bytes) in the buffer; SQLite: rows
    events: object
    assignments: object
    counters: dict
    n_tickets: int
    n_events: int
    n_assignments: int
    seconds: float  # CPU time spent making it


def _generate(plan: _Plan, task: _Task, out: _Out | None) -> _Chunk:
    started = time.process_time()
    rng = random.Random(plan.seed * 1_000_003 + task.index)
    r = rng.random
    person, demand_text = synthetic.person, synthetic.demand_text
    pg = not plan.sqlite
    hms, iso_days = _seconds_of_day(), _Days("T")
    naive = None if pg else _naive_clock()

    def iso(t: int) -> str:
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{iso_days[d]}{hms[x]}.{us:06d}+00:00"

    deadline = _Deadlines(iso if pg else naive)
    sha256 = hashlib.sha256
    N = plan.null
    esc = None if (plan.sqlite or plan.clean) else _copy_escape
    jstr = (lambda s: '"' + s + '"') if plan.clean else _json_str
    now, counties, positions = plan.now, plan.counties, plan.positions
    n_counties, n_templates = len(counties), len(TEMPLATES)
    settled = SETTLED_AFTER // ONE_US
    recent, recent_cum, recent_total = _cumulative(RECENT_MIX)
    channels, channel_cum, channel_total = _cumulative(CHANNEL_MIX)
    sats, sat_cum, sat_total = _cumulative(SATISFACTION_MIX)
    bisect_ = bisect.bisect
    closed_, invalid_, unsatisfied = str(Status.CLOSED), str(Status.INVALID), "unsatisfied"
    register_data, callback_data = plan.register_data, plan.callback_data
    reply_a, reply_b, reply_c = REPLY
    base, counters = plan.counters, {}
    tickets, events, assignments = [], [], []
    n_events = n_assignments = 0
    flush_at = _Out.BATCH // 8  # tickets: about eight events each
    pk = plan.first_id + task.first
    sample, sample_rows = None, []
    # Binary events leave as values (psycopg encodes them in the writer), the rest as text.
    binary, at_us, microseconds = plan.binary_events, EPOCH.__add__, timedelta
    for w_start, w_end, count, day in task.windows:
        if not count:
            continue
        slot = (w_end - w_start) / count
        for k in range(count):
            created = min(w_start + int((k + r()) * slot), w_end - 1)
            code6, place, region_id, center_id, agent, combos = counties[int(r() * n_counties)]
            combo = combos[int(r() * n_templates)]
            template = combo.template
            if now - created > settled:
                status = closed_ if r() < 0.96 else invalid_
            else:
                status = recent[bisect_(recent_cum, r() * recent_total)]
            path = combo.paths[status]
            key = code6 + day
            seqno = counters.get(key)
            if seqno is None:
                seqno = base.get(key, 0)
            seqno += 1
            counters[key] = seqno
            number = f"{key}{seqno:06d}"
            name, phone = person(rng)
            title, content, address = demand_text(rng, template, place)
            urgency = "critical" if r() < 0.01 else ("urgent" if r() < 0.08 else "normal")
            channel = channels[bisect_(channel_cum, r() * channel_total)]
            confidential = "1" if r() < 0.03 else "0"
            i_dispatch, i_ack, i_reply, i_closed = positions[status]
            if i_reply >= 0:
                reply = f"{reply_a}{title}{reply_b}{combo.lead_name}{reply_c}"
                reply_data = '{"body":' + jstr(reply) + "}"
            else:
                reply, reply_data = "", None
            if status == closed_:
                satisfaction = sats[bisect_(sat_cum, r() * sat_total)]
                resolved = "0" if satisfaction == unsatisfied else "1"
                callback = callback_data[satisfaction]
            else:
                satisfaction, resolved, callback = "", N, None
            # The history: each step's time, its hashed form, its row.
            tid = str(pk)
            quoted = '"' + number + '"'
            varying = (None, register_data[channel], reply_data, callback)
            prev, at, times, stamps = GENESIS, created, [], []
            sampling = sample is None
            for low, span, head, data, kind, line, cols, values in path:
                if span:
                    t = created + int(low + span * r())
                    if t > at:
                        at = t
                    t = at if at < now else now
                else:
                    t = created
                s, us = divmod(t, US)
                d, x = divmod(s, 86400)
                moment = f"{iso_days[d]}{hms[x]}.{us:06d}+00:00"
                if data is None:
                    data = varying[kind]
                digest = sha256(f'[{quoted},{head}{data},"{moment}","{prev}"]'.encode()).hexdigest()
                if binary:
                    events.append(
                        (pk, *values, data, at_us(microseconds(microseconds=t)), prev, digest)
                    )
                    stamps.append(moment)
                elif pg:
                    stored = data if esc is None else esc(data)
                    events.append(f"{tid}\t{line}\t{stored}\t{moment}\t{prev}\t{digest}")
                    stamps.append(moment)
                else:
                    stamp = naive(t)
                    events.append((tid, *cols, data, stamp, prev, digest))
                    stamps.append(stamp)
                if sampling:
                    sample_rows.append((tid, *cols, data, None, prev, digest))
                times.append(t)
                prev = digest
            n_events += len(path)
            if i_dispatch >= 0:
                ack_value, ack_unit, handle_value, handle_unit = combo.policies[urgency]
                start = times[i_dispatch]
                ack_deadline = deadline(start, ack_value, ack_unit)
                handle_deadline = deadline(start, handle_value, handle_unit)
                lead = combo.lead
                dispatched = stamps[i_dispatch]
                acknowledged = stamps[i_ack] if i_ack >= 0 else N
                row = (tid, lead, "lead", N, "1", dispatched, acknowledged)
                assignments.append("\t".join(row) if pg else row)
                n_assignments += 1
            else:
                lead = dispatched = ack_deadline = handle_deadline = acknowledged = N
            # Stored encrypted (base64, nothing for COPY to escape), the phone with its hash.
            name, phone, phone_hash, address = stored_personal(name, phone, address)
            if esc is not None:
                title, content, reply = map(esc, (title, content, reply))
            row = (
                tid,
                number,
                channel,
                N,
                status,
                name,
                phone,
                phone_hash,
                "0",
                confidential,
                template.appeal_type,
                combo.category,
                title,
                content,
                region_id,
                address,
                N,
                N,
                urgency,
                center_id,
                lead,
                agent,
                stamps[0],
                stamps[-1],
                dispatched,
                ack_deadline,
                acknowledged,
                handle_deadline,
                stamps[i_reply] if i_reply >= 0 else N,
                stamps[i_closed] if i_closed >= 0 else N,
                reply,
                resolved,
                satisfaction,
                "0",
                "0",
                "0",
                "0",
                "",
                N,
                prev,
                str(len(path)),
            )
            tickets.append("\t".join(row) if pg else row)
            if sampling:
                sample = (number, times, sample_rows)
            pk += 1
            if out is not None and len(tickets) >= flush_at:
                out.write(0, tickets)
                if not binary:
                    out.write(1, events)
                out.write(2, assignments)
    if sample is not None:
        _check_sample(plan, *sample)
    if out is not None:
        for which, lines in enumerate((tickets, events, assignments)):
            if lines and not (binary and which == 1):
                out.write(which, lines)
        tickets, text_events, assignments = out.parts()
        if not binary:
            events = text_events
    return _Chunk(
        task.index,
        tickets,
        events,
        assignments,
        counters,
        task.size,
        n_events,
        n_assignments,
        time.process_time() - started,
    )


def _check_sample(plan: _Plan, number, times, rows):
    """Re-hash one ticket's events with history.event_hash: the fast form must not drift."""
    prev = GENESIS
    for moment, row in zip(times, rows, strict=True):
        if isinstance(row, str):
            row = row.split("\t")
        _, seq, action, from_status, to_status, actor, unit, data, _, prev_hash, digest = row
        expected = event_hash(
            number=number,
            seq=int(seq),
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=None if actor == plan.null else int(actor),
            actor_unit_id=None if unit == plan.null else int(unit),
            data=json.loads(data),
            created_at=_dt(moment),
            prev=prev,
        )
        if prev_hash != prev or digest != expected:
            raise RuntimeError(f"bulk: the hashed form of {number} #{seq} differs from history")
        prev = digest
