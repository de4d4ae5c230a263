"""Scorecards API: every figure with its numerator, denominator and definition."""

from decimal import Decimal

from ninja import Router, Schema

from hotline.calls import conf
from hotline.errors import Forbidden
from hotline.orgs import scope
from hotline.orgs.models import READONLY_ROLES, Role, Unit
from hotline.tickets.schemas import ErrorOut

from . import call_figures, scorecards
from .figures import BY_NAME

router = Router(tags=["考评 evaluation"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RateOut(Schema):
    name: str
    label: str
    numerator: int
    denominator: int
    rate: Decimal | None
    definition: str


class DeductionOut(Schema):
    label: str
    points: Decimal


class CardOut(Schema):
    unit: str
    unit_name: str
    level: str
    kind: str
    rates: list[RateOut]
    unjustified_returns: int
    supervision: int
    reply_quality: Decimal | None
    weights: list[int]
    deductions: list[DeductionOut]
    total: Decimal
    rank: int | None  # None: nothing dispatched or supervised in the period, not ranked


def card_out(c: scorecards.Card) -> CardOut:
    return CardOut(
        unit=c.unit.code, unit_name=c.unit.name, level=c.unit.level, kind=c.unit.kind,
        rates=[
            RateOut(name=n, label=label, numerator=c.counts[n][0], denominator=c.counts[n][1],
                    rate=c.rate(n), definition=f"{BY_NAME[n].numerator} ÷ {BY_NAME[n].denominator}")
            for n, label in scorecards.RATES
        ],
        unjustified_returns=c.unjustified_returns, supervision=c.supervision,
        reply_quality=c.quality, weights=list(c.weights),
        deductions=[DeductionOut(label=label, points=p) for label, p in c.deductions],
        total=c.total, rank=c.rank,
    )  # fmt: skip


def units_for(user):
    """Units whose scorecards the user may read: supervisors, analysts and admins see the units
    under their center; a unit's leader sees the unit's own card."""
    roles = {*READONLY_ROLES, Role.ADMIN}
    units = Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.filter(is_active=True)
    for m in scope.memberships(user):
        if m.role in roles and m.unit.is_center:
            units |= Unit.objects.filter(path__startswith=m.unit.path, is_active=True)
        elif m.role == Role.LEADER:
            units |= Unit.objects.filter(pk=m.unit_id)
    return units


@router.get("/evaluation/scorecards", response={200: list[CardOut], **ERRORS})
def list_scorecards(request, period: str):
    units = units_for(request.auth).exclude(kind__in=["center", "subcenter"])
    scorecards.period_bounds(period)  # bad input before any query
    if not units.exists():
        raise Forbidden("无权查看考评结果", "no scorecard in your scope")
    cards = scorecards.compute(units.order_by("code"), period)
    return [card_out(c) for c in sorted(cards, key=scorecards.listed)]


class CenterCallsOut(Schema):
    unit: str
    unit_name: str
    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    answer_rate: float | None
    service_level: float | None
    service_level_seconds: int
    asa_seconds: float | None
    aht_seconds: float | None


@router.get("/evaluation/center-calls", response={200: list[CenterCallsOut], **ERRORS},
            summary="中心话务指标 / the centers' call figures")  # fmt: skip
def center_calls(request, period: str):
    """Answer rate, service level, ASA, AHT and abandoned calls of each center in scope
    (docs/calls.md for the definitions); rates are fractions (0.5 = 50%)."""
    centers = call_figures.centers(units_for(request.auth))
    scorecards.period_bounds(period)  # bad input before any query
    if not centers.exists():
        raise Forbidden("无权查看中心话务指标", "no center in your scope")
    t = conf.service_level_seconds()
    return [
        CenterCallsOut(unit=c.unit.code, unit_name=c.unit.name, service_level_seconds=t,
                       **{k: c.figures[k] for k in CenterCallsOut.model_fields
                          if k in c.figures})
        for c in call_figures.compute(centers, period)
    ]  # fmt: skip
