"""The duplicate index in the database: store a demand's signature and band keys, and find
the demands sharing band keys with it, in a bounded number of index reads.

`find_similar` (the agent's view, hot topics): each key reads only its PER_KEY newest rows
through a LATERAL subquery on the (key, created_at) index on PostgreSQL, a UNION ALL of
per-key subqueries on SQLite.

Registration stores the signature and keys and looks up only the same caller's earlier
demands (the repeat check needs no other): on PostgreSQL in one statement (two
data-modifying CTEs and the lookup, which does not see the rows it inserts) that goes to the
server in the same round trip as the ticket's inserts; on SQLite a lookup and the ORM.
"""

from datetime import UTC, datetime

from django.db import connection

from .duplicates import Signature
from .models import DuplicateBand, DuplicateSignature

PER_KEY = 50  # newest rows read per band key: bounds a lookup in a hot-topic surge
# A bucket that grew since the last ANALYZE looks small to the planner, which then reads all
# of it by bitmap and sorts (thousands of rows in a surge), and a young signature table looks
# small enough to scan whole for the join. Without bitmap and sequential scans it walks the
# (key, created_at) index backwards, stops after PER_KEY, and joins the few candidates by
# primary key. SET LOCAL ends with the transaction (the statement's own one in autocommit).
NO_BITMAP = "SET LOCAL enable_bitmapscan TO off; SET LOCAL enable_seqscan TO off; "
CANDIDATES = 50
MIN_SIMILARITY = 0.5

BAND = DuplicateBand._meta.db_table
SIGS = DuplicateSignature._meta.db_table
# What registration needs of each candidate for the repeat check, in the same round trip.
TICKET_COLUMNS = (
    "k.number, k.status, k.resolved, k.citizen_phone_hash, k.created_at, h.case_id "
    "FROM {sigs} s JOIN tickets_ticket k ON k.id = s.ticket_id "
    "LEFT JOIN screening_repeathit h ON h.ticket_id = s.ticket_id"
)


def _lookup_pg(limit: int) -> str:
    return (
        f"c AS (SELECT l.ticket_id FROM unnest(%s::bigint[]) AS q(key) CROSS JOIN LATERAL "
        f"(SELECT ticket_id FROM {BAND} WHERE key = q.key AND created_at >= %s "
        f"ORDER BY created_at DESC LIMIT {PER_KEY}) AS l), "
        f"t AS (SELECT ticket_id, COUNT(*) AS n FROM c GROUP BY ticket_id "
        f"ORDER BY n DESC, ticket_id DESC LIMIT {int(limit) + 1}) "
        f"SELECT t.ticket_id, s.signature FROM {SIGS} s JOIN t ON s.ticket_id = t.ticket_id"
    )


def _lookup_generic(n_keys: int, limit: int) -> str:
    part = (
        f"SELECT * FROM (SELECT ticket_id FROM {BAND} WHERE key = %s AND created_at >= %s "
        f"ORDER BY created_at DESC LIMIT {PER_KEY}) AS k{{i}}"
    )
    union = " UNION ALL ".join(part.format(i=i) for i in range(n_keys))
    return (
        f"SELECT t.ticket_id, s.signature FROM {SIGS} s JOIN (SELECT ticket_id, COUNT(*) AS n FROM ({union}) "
        f"AS c GROUP BY ticket_id ORDER BY n DESC, ticket_id DESC LIMIT {int(limit) + 1}) AS t "
        f"ON s.ticket_id = t.ticket_id"
    )


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _rank(sig: Signature, rows, exclude, limit) -> list[tuple]:
    """(ticket id, similarity, *the other columns) at MIN_SIMILARITY or more, best first."""
    out = []
    for pk, packed, *rest in rows:
        if pk == exclude:
            continue
        similarity = round(sig.similarity(Signature.unpack(packed)), 3)
        if similarity >= MIN_SIMILARITY:
            out.append((pk, similarity, *rest))
    out.sort(key=lambda x: (-x[1], -x[0]))
    return out[:limit]


def find_similar(sig: Signature, keys: list[int], *, since, exclude=None, limit=CANDIDATES):
    """[(ticket id, similarity)] of the newest demands sharing a band key, most similar first.
    At most len(keys) × PER_KEY index entries are read, however large a bucket grows."""
    if not keys:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(NO_BITMAP + "WITH " + _lookup_pg(limit), [keys, since])
            cursor.cursor.nextset()
            cursor.cursor.nextset()  # the rows are the third statement's
        else:
            params = []
            for k in keys:
                params += [k, since]
            cursor.execute(_lookup_generic(len(keys), limit), params)
        rows = cursor.fetchall()
    return [(pk, similarity) for pk, similarity in _rank(sig, rows, exclude, limit)]


# The repeat check at registration needs only the same caller's earlier demands in the same
# scope (the city): found through the caller's phone hash (an index on tickets), not through
# the band buckets, which in a hot topic are full of other callers (PER_KEY rows a key read,
# and ranked, for nothing). A caller's newest PER_CALLER demands in the window are compared.
PER_CALLER = 50
NO_SEQSCAN = "SET LOCAL enable_seqscan TO off; "  # a young tickets table looks small: see above


def _caller_lookup(n_phones: int | None) -> str:
    """The same caller's earlier demands with a signature in the scope, newest first: ticket
    id, signature, then TICKET_COLUMNS' columns. `n_phones` None: one array parameter
    (PostgreSQL); else that many placeholders."""
    phones = "= ANY(%s)" if n_phones is None else f"IN ({', '.join(['%s'] * n_phones)})"
    return (
        "SELECT s.ticket_id, s.signature, " + TICKET_COLUMNS.format(sigs=SIGS) + " "
        f"WHERE k.citizen_phone_hash {phones} AND k.created_at >= %s AND s.scope = %s "
        f"AND k.id <> %s ORDER BY k.created_at DESC, k.id DESC LIMIT {PER_CALLER}"
    )


def store_and_find_statement(ticket, sig: Signature, scope: str, keys: list[int], *, since,
                             phones: list[str]) -> tuple[str, list]:  # fmt: skip
    """PostgreSQL: one statement that indexes a new ticket's signature and band keys and
    returns the same caller's earlier demands in the scope (`phones`: the caller's phone
    hashes; the lookup does not see the rows it inserts). Registration sends it in the same
    round trip as the ticket's inserts; `rank_caller_rows` turns its rows into the result of
    `store_and_find`. With no phone there is nothing to look up: the query returns no row."""
    at = ticket.created_at
    sql = NO_SEQSCAN + (
        f"WITH s AS (INSERT INTO {SIGS} (ticket_id, signature, scope, created_at) "
        f"VALUES (%s, %s, %s, %s)), "
        f"b AS (INSERT INTO {BAND} (ticket_id, key, created_at) "
        f"SELECT %s, k, %s FROM unnest(%s::bigint[]) AS k) " + _caller_lookup(None)
    )
    params = [ticket.pk, sig.pack(), scope, at, ticket.pk, at, keys, phones, since, scope]
    return sql, [*params, ticket.pk]


def store_statement(ticket, sig: Signature, scope: str, keys: list[int]) -> tuple[str, list]:
    """PostgreSQL: the statement that indexes a new ticket's signature and band keys, when
    the caller's earlier demands were read before (`caller_statement`): registration sends it
    in the one string that writes the ticket."""
    at = ticket.created_at
    sql = (
        f"WITH s AS (INSERT INTO {SIGS} (ticket_id, signature, scope, created_at) "
        f"VALUES (%s, %s, %s, %s)) "
        f"INSERT INTO {BAND} (ticket_id, key, created_at) "
        f"SELECT %s, k, %s FROM unnest(%s::bigint[]) AS k"
    )
    return sql, [ticket.pk, sig.pack(), scope, at, ticket.pk, at, array_literal(keys)]


# Registration's first look: only whether the caller has similar earlier demands (ticket id
# and signature). Without the ticket columns' join to the repeat cases the server plans it in
# about a third of the time (0.42 → 0.17 ms of its CPU, a third of what a registration cost
# the database); a possible repeat reads them all again in its own transaction.
_CALLER_FIRST = (
    f"SELECT s.ticket_id, s.signature FROM {SIGS} s JOIN tickets_ticket k ON k.id = s.ticket_id "
    "WHERE k.citizen_phone_hash = ANY(%s) AND k.created_at >= %s AND s.scope = %s "
    f"ORDER BY k.created_at DESC, k.id DESC LIMIT {PER_CALLER}"
)


# Registration prepares the read once per connection (tickets.fastinsert.executable) and
# pins its one plan: the caller's rows by the phone-hash index, their signatures by primary
# key. Left to choose, the server planned it anew every time (the generic plan it weighed
# intersected a bitmap of the whole window's tickets), a third of the read's cost; with
# bitmap and sequential scans off, the generic plan is the custom one, on a young table too.
CALLER_PLAN = NO_BITMAP + "SET LOCAL plan_cache_mode TO force_generic_plan; "


def array_literal(values) -> str:
    """PostgreSQL's text form of an array of numbers or hex hashes (nothing to escape): the
    driver's list adapter scanned every element in Python to choose the array's type, a
    measurable share of a registration's binding (cProfile); the statement's own types
    (bigint[], the phone-hash column) read this text."""
    return "{" + ",".join(map(str, values)) + "}"


def caller_statement(scope: str, *, since, phones: list[str]) -> tuple[str, list]:
    """PostgreSQL: the same caller's earlier demands in the scope as (ticket id, signature),
    for `rank_caller_rows`' similarity only, for a ticket not yet inserted, inside a
    transaction (it sets its planner settings for itself)."""
    return CALLER_PLAN + _CALLER_FIRST, [array_literal(phones), since, scope]


def rank_caller_rows(sig: Signature, rows, exclude) -> list[tuple]:
    return _rank(sig, rows, exclude, PER_CALLER)


def store_and_find(ticket, sig: Signature, scope: str, keys: list[int], *, since,
                   phones: list[str]) -> list[tuple]:  # fmt: skip
    """Index a new ticket's signature and return the same caller's (`phones`: the caller's
    phone hashes) earlier demands in the scope at MIN_SIMILARITY or more, most similar first,
    as (id, similarity, number, status, resolved, citizen_phone_hash, created_at, repeat case
    id). Registration on PostgreSQL sends `store_and_find_statement` with its inserts instead."""
    if connection.vendor == "postgresql":
        sql, params = store_and_find_statement(ticket, sig, scope, keys, since=since,
                                               phones=phones)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.cursor.nextset()  # the rows are the second statement's
            rows = cursor.fetchall()
        return rank_caller_rows(sig, rows, ticket.pk)
    rows = []
    if phones:
        with connection.cursor() as cursor:
            cursor.execute(_caller_lookup(len(phones)), [*phones, since, scope, ticket.pk])
            # SQLite hands a raw query's datetime back naive (it is stored in UTC): made aware
            # here, it is not read later as local time, eight hours off.
            rows = [(*r[:6], _aware(r[6]), *r[7:]) for r in cursor.fetchall()]
    at = ticket.created_at
    DuplicateSignature.objects.create(
        ticket=ticket, signature=sig.pack(), scope=scope, created_at=at
    )
    DuplicateBand.objects.bulk_create(
        [DuplicateBand(ticket=ticket, key=k, created_at=at) for k in keys]
    )
    return rank_caller_rows(sig, rows, ticket.pk)
