"""Routing operations: suggest, record a dispatcher's decision, dispatch automatically.

Routing never writes a ticket: automatic dispatch goes through `lifecycle.dispatch` as the
center's system dispatcher, like a person would.
"""

import logging
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from hotline.orgs.models import Membership, Role, Unit
from hotline.orgs.services import service_user

from . import frozen, jurisdiction, levelmodel, recommender, store, taxonomy, training
from .classifier import Prediction
from .models import DispatchCorrection, DispatchDecision
from .textprep import title_content

log = logging.getLogger(__name__)
SYSTEM_PREFIX = "system-dispatch-"


@dataclass
class Suggestion:
    category: list[str | None]  # codes of level 1, 2, 3 (None where not confident)
    category_names: list[str | None]
    confidence: float
    reasons: list[str]
    region: dict | None  # {code, name, words} when the text says where
    units: list[dict] = field(default_factory=list)
    model_version: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _names(codes: list[str | None]) -> list[str | None]:
    nodes = taxonomy.tree()
    return [nodes[c].name if c and c in nodes else None for c in codes]


def classify_many(
    items: list[tuple[str | None, str | None]],
) -> tuple[str | None, list[Prediction]]:
    """Predictions for (title, content) pairs with the current model; empty without one."""
    loaded = store.classifier()
    if loaded is None:
        return None, [Prediction([], []) for _ in items]
    version, model = loaded
    return version, model.predict_many(items)


def category_codes(prediction, title: str | None, content: str | None) -> list[str | None]:
    """[level 1, level 2, level 3] codes for a prediction: levels 2 and 3 by the level model
    (levelmodel.py) where one is shipped, else by taxonomy's name rule; neither under an
    unsure first level."""
    return category_codes_many([prediction], [(title, content)])[0]


def category_codes_many(predictions, items) -> list[list[str | None]]:
    """`category_codes` for a batch of predictions and their (title, content) pairs."""
    out: list[list[str | None]] = []
    deeper: list[tuple[int, str, str, str]] = []  # (index in out, level 1, title, content)
    for prediction, (title, content) in zip(predictions, items, strict=True):
        level1 = taxonomy.level1_codes().get(prediction.label or "")
        out.append([level1, None, None])
        if level1 and prediction.confidence >= taxonomy.MIN_LEVEL1_CONFIDENCE:
            deeper.append((len(out) - 1, level1, *title_content(title, content)))
    model = levelmodel.current()
    if model is None:
        found = [taxonomy.rule_deeper(level1, t, c) for _i, level1, t, c in deeper]
    else:
        found = model.deeper_many([(level1, t, c) for _i, level1, t, c in deeper])
    for (i, *_rest), (level2, level3) in zip(deeper, found, strict=True):
        out[i][1:] = [level2, level3]
    return out


def suggest(
    *,
    title: str | None,
    content: str | None,
    address: str | None = "",
    default_region_id: int | None = None,
    region=None,
) -> Suggestion:
    """Category, region and top-3 units for one demand.

    `region` (a Region the agent recorded) beats what the text says; `default_region_id` (the
    center's) is used for the units only when neither gives one, and is not reported.
    """
    version, predictions = classify_many([(title, content)])
    return _suggestion(
        version,
        predictions[0],
        title=title,
        content=content,
        address=address,
        default_region_id=default_region_id,
        region=region,
    )


def _suggestion(
    version, prediction, *, title, content, address, default_region_id, region, codes=None
) -> Suggestion:
    if codes is None:
        codes = category_codes(prediction, title, content)
    level1, deeper = codes[0], (codes[1], codes[2])
    if region is not None:
        found = {"code": region.code, "name": region.name, "words": []}
        region_id = region.id
    else:
        match = jurisdiction.resolve(address=address, title=title, content=content)
        found = None
        if match.region is not None:
            found = {"code": match.region.code, "name": match.region.name, "words": match.words}
        region_id = match.region.id if match.region else default_region_id
    units = recommender.recommend(prediction, region_id=region_id, deeper=deeper) if level1 else []
    return Suggestion(
        category=codes,
        category_names=_names(codes),
        confidence=prediction.confidence if level1 else 0.0,
        reasons=prediction.reasons,
        region=found,
        units=[asdict(u) for u in units],
        model_version=version,
    )


def suggest_for_ticket(ticket) -> Suggestion:
    """Suggestions for a ticket: its recorded region first, else what its text says."""
    return suggest_for_tickets([ticket])[0]


def suggest_for_tickets(tickets) -> list[Suggestion]:
    """`suggest_for_ticket` for each ticket, the texts classified in one batch: a queue's page
    of 50 tickets costs one model pass, not 50 (each pass has a fixed cost of its own), and
    so do levels 2 and 3."""
    items = [(t.title, t.content) for t in tickets]
    version, predictions = classify_many(items)
    codes = category_codes_many(predictions, items)
    return [
        _suggestion(
            version,
            prediction,
            title=t.title,
            content=t.content,
            address=t.address,
            default_region_id=t.center.region_id,
            region=t.region,
            codes=ticket_codes,
        )
        for t, prediction, ticket_codes in zip(tickets, predictions, codes, strict=True)
    ]


# ---- learning: every dispatcher decision is kept -------------------------------------------


def record_dispatch(*, ticket, to_unit: Unit, by) -> DispatchDecision | None:
    """Store what routing suggested and where the dispatcher sent the ticket.

    Called by `lifecycle.dispatch` inside its transaction (registered with `on_dispatch` in
    RoutingConfig.ready). A routing failure must never stop a dispatch, so it is logged and
    swallowed inside a savepoint.
    """
    try:
        with transaction.atomic():
            s = suggest_for_ticket(ticket)
            codes = [u["code"] for u in s.units]
            decision = DispatchDecision.objects.create(
                ticket=ticket,
                center=ticket.center,
                final_unit=to_unit,
                suggested=[{"code": u["code"], "confidence": u["confidence"]} for u in s.units],
                category=s.category_names[0] or "",
                confidence=s.confidence if s.category[0] else None,
                region=(s.region or {}).get("code", ""),
                accepted=bool(codes) and codes[0] == to_unit.code,
                in_suggestions=to_unit.code in codes,
                automatic=by.username.startswith(SYSTEM_PREFIX),
                model_version=s.model_version or "",
                decided_by=by,
            )
            # A correction: another unit than the first suggested, or a category recorded on
            # the ticket that is not the one the model predicted (the unit may still fit).
            recorded = ticket.category_id and training.label_of(ticket, to_unit)
            other_category = bool(recorded) and recorded != (s.category_names[0] or "")
            if codes and not decision.automatic and (not decision.accepted or other_category):
                record_correction(decision=decision, suggestion=s)
            return decision
    except Exception:  # noqa: BLE001 - see docstring
        log.exception("routing: could not record the dispatch of ticket %s", ticket.pk)
        return None


def record_correction(*, decision: DispatchDecision, suggestion: Suggestion) -> DispatchCorrection:
    """The center overrode the suggestion (unit or category): keep what the next model learns.

    The label is the ticket's own category, else the one category mapped to the chosen unit;
    the ticket's text is referenced, not copied. A ticket whose text is in the frozen test split
    is marked and never trains.
    """
    ticket = decision.ticket
    return DispatchCorrection.objects.create(
        decision=decision,
        ticket=ticket,
        suggested_unit=suggestion.units[0]["code"] if suggestion.units else "",
        suggested_category=suggestion.category_names[0] or "",
        final_unit=decision.final_unit,
        label=training.label_of(ticket, decision.final_unit),
        frozen=frozen.text_is_frozen(ticket.content),
    )


# ---- automatic dispatch -------------------------------------------------------------------


def system_dispatcher(center: Unit):
    """The center's system account (`system-dispatch-{center code}`), created on first use.

    It has an unusable password (nobody logs in as it) and one dispatcher membership at the
    center, so `lifecycle.dispatch` checks it like any dispatcher and the history names it.
    """
    user = service_user(f"{SYSTEM_PREFIX}{center.code}", f"{center.name}智能派单", is_active=True)
    Membership.objects.update_or_create(
        user=user, unit=center, role=Role.DISPATCHER, defaults={"is_active": True}
    )
    return get_user_model().objects.get(pk=user.pk)  # fresh: no stale membership cache


def auto_dispatch(ticket) -> bool:
    """Dispatch a pending ticket when its category allows it and the top unit is sure enough.

    Needs a region the demand itself names (or the ticket's own), never the center's default.
    """
    from hotline.errors import HotlineError
    from hotline.tickets import lifecycle
    from hotline.tickets.models import Status

    if ticket.status != Status.PENDING_DISPATCH:
        return False
    s = suggest_for_ticket(ticket)
    rule = recommender.auto_rule([c for c in s.category if c])
    if rule is None or not rule.auto_dispatch or not s.units or s.region is None:
        return False
    top = s.units[0]
    if top["confidence"] < rule.auto_threshold:
        return False
    unit = Unit.objects.filter(code=top["code"]).first()
    try:
        lifecycle.dispatch(
            ticket=ticket,
            by=system_dispatcher(ticket.center),
            to_unit=unit,
            note=f"智能派单：{top['reason']}，置信度 {top['confidence']:.2f}",
        )
    except HotlineError as exc:  # outside the center's region, state changed meanwhile …
        log.info("routing: auto-dispatch of %s refused: %s", ticket.number, exc.message_en)
        return False
    return True


def auto_dispatch_pending(limit: int = 500) -> int:
    """Sweep the tickets waiting for dispatch; return how many were dispatched automatically."""
    from hotline.tickets.models import Status, Ticket

    if not recommender.tables().mapping or not any(
        r.auto_dispatch for r in recommender.tables().rules.values()
    ):
        return 0  # the switch is off everywhere: nothing to do
    done = 0
    pending = Ticket.objects.filter(status=Status.PENDING_DISPATCH).select_related(
        "center__region", "region"
    )
    for ticket in pending.order_by("id")[:limit]:
        done += auto_dispatch(ticket)
    return done
