"""Erlang C: how many agents a half hour needs for a service level.

Pure functions of the offered traffic; no models, no request. Calls arrive at random
(Poisson), handling times are exponential, callers wait (Erlang C assumes nobody abandons,
so it errs on the safe side for staffing: with abandonment the real service level is
higher). Definitions as in the contact-center literature:

  traffic a   = calls per period × average handling time ÷ period length   (Erlangs)
  P(wait)     = ErlangC(n, a)
  service     = 1 − P(wait) · exp(−(n − a) · T / AHT)    answered within T seconds
  ASA         = P(wait) · AHT ÷ (n − a)
  occupancy   = a ÷ n

ErlangC is computed from Erlang B's recursion, B(k) = a·B(k−1) / (k + a·B(k−1)), which
stays finite for hundreds of agents where a^n / n! would overflow.
"""

import math
from dataclasses import dataclass


def traffic(calls: float, aht_seconds: float, period_seconds: float = 1800) -> float:
    """Offered traffic in Erlangs."""
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    return calls * aht_seconds / period_seconds


def erlang_b(n: int, a: float) -> float:
    """Probability that a call finds all n servers busy and is lost (no queue)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that a call has to wait, with n agents and a Erlangs offered."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0  # the queue grows without bound: everyone waits
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def service_level(n: int, a: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of calls answered within target_seconds."""
    if a <= 0:
        return 1.0
    if n <= a:
        return 0.0
    return 1 - erlang_c(n, a) * math.exp(-(n - a) * target_seconds / aht_seconds)


def asa(n: int, a: float, aht_seconds: float) -> float:
    """Average speed of answer in seconds (infinite when the agents cannot keep up)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return math.inf
    return erlang_c(n, a) * aht_seconds / (n - a)


@dataclass(frozen=True)
class Staffing:
    agents: int  # on the phones, before shrinkage
    scheduled: int  # agents to roster so that `agents` are on the phones
    traffic: float
    service_level: float
    asa_seconds: float
    occupancy: float


def agents_needed(
    *,
    calls: float,
    aht_seconds: float,
    target_level: float = 0.8,
    target_seconds: float = 15,
    period_seconds: float = 1800,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> Staffing:
    """The fewest agents that answer `target_level` of the calls within `target_seconds`.

    `max_occupancy` caps how busy an agent may be kept (0.85 is common: nobody talks 100 %
    of a shift); `shrinkage` is the share of paid time off the phones (breaks, training).
    """
    if not 0 < target_level < 1:
        raise ValueError("target_level must be between 0 and 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    a = traffic(calls, aht_seconds, period_seconds)
    if a <= 0:
        return Staffing(0, 0, 0.0, 1.0, 0.0, 0.0)
    n = max(1, math.floor(a) + 1, math.ceil(a / max_occupancy))
    while service_level(n, a, aht_seconds, target_seconds) < target_level:
        n += 1
    return Staffing(
        agents=n,
        scheduled=math.ceil(n / (1 - shrinkage)),
        traffic=a,
        service_level=service_level(n, a, aht_seconds, target_seconds),
        asa_seconds=asa(n, a, aht_seconds),
        occupancy=a / n,
    )
