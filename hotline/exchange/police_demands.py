"""110 → 12345: 非警务警情 the police hand to the hotline as standard tickets, and their
results sent back through the outbox once the ticket is closed (or invalid, or merged)."""

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.errors import HotlineError, NotFound
from hotline.orgs.models import Membership, Role
from hotline.tickets import lifecycle
from hotline.tickets.models import Channel, Status, Ticket
from hotline.tickets.registration import RegisterInput

from . import services
from .models import ConnectedSystem, PoliceDemand
from .police import SWEEP_BATCH, Unprocessable, check_at, demands_of

# A demand's result goes back once the ticket reaches one of these.
FINAL = {Status.CLOSED, Status.INVALID, Status.MERGED}


def receive_demand(*, system: ConnectedSystem, item, now=None) -> tuple[PoliceDemand, bool]:
    """Register a 非警务警情 the police hand to 12345 as a standard ticket at the partner's
    center (待受理, channel `other`, reference "110:{partner}:{police ref}"); returns
    (demand, created). The same police reference again is the same ticket (rule 6)."""
    found = demands_of(system).select_related("ticket").filter(police_ref=item.police_ref)
    if found.exists():
        return found.first(), False
    if item.reported_at is not None:
        check_at(item.reported_at, None, field="reported_at")
    # The partner registers on its center's behalf without holding a role there (its
    # account must hold none), as the overflow pool does: the membership is not saved.
    acting = Membership(user=system.service_user, unit=system.unit, role=Role.AGENT)
    try:
        data = RegisterInput(
            channel=Channel.OTHER,
            appeal_type=item.appeal_type,
            title=item.title,
            content=item.content,
            urgency=item.urgency,
            citizen_name=item.citizen_name,
            citizen_phone=item.citizen_phone,
            category=services.category_by_code(item.category, {}),
            region=item.region,
            address=item.address,
            external_ref=f"110:{system.code}:{item.police_ref}",
            center_code=system.unit.code,
        )
        with transaction.atomic():
            ticket, _ = lifecycle.register(by=system.service_user, data=data, acting=acting)
            demand, created = PoliceDemand.objects.get_or_create(
                partner=system,
                police_ref=item.police_ref,
                defaults={
                    "ticket": ticket,
                    "police_unit": item.police_unit,
                    "reported_at": item.reported_at,
                    "received_at": now or timezone.now(),
                },
            )
    except IntegrityError:
        # A concurrent delivery of the same demand committed first.
        return demands_of(system).select_related("ticket").get(police_ref=item.police_ref), False
    except HotlineError as exc:
        # The registration's own checks answer 400; the police API answers bad input 422.
        if exc.status == 400:
            raise Unprocessable(exc.message_zh, exc.message_en, field=exc.field) from None
        raise
    return demand, created


def demand_for(system: ConnectedSystem, police_ref: str) -> PoliceDemand:
    found = demands_of(system).select_related("ticket").filter(police_ref=police_ref).first()
    if found is None:
        raise NotFound("警情不存在", "no such demand of this partner", field="police_ref")
    return found


def result_of(ticket: Ticket) -> dict:
    """What 12345 answers the police about a demand: the state and, once final, the result."""
    out = {"number": ticket.number, "status": ticket.status, "final": ticket.status in FINAL}
    if ticket.status in FINAL:
        out.update(
            reply=ticket.reply or "",
            closed_at=ticket.closed_at.isoformat() if ticket.closed_at else None,
            satisfaction=ticket.satisfaction or "",
            merged_into=ticket.merged_into.number if ticket.merged_into_id else None,
        )
    return out


def send_results(*, now=None) -> int:
    """Send the result of every police demand whose ticket reached a final state since its
    last result (once per closing), as a `police_result` step the outbox delivers; for
    `hotline worker`. Returns how many results went out."""
    now = now or timezone.now()
    due = Q(result_for__isnull=True) | Q(result_for__lt=F("ticket__closed_at"))
    sent = 0
    with transaction.atomic():
        # SKIP LOCKED: two workers never send the same result twice.
        demands = list(
            PoliceDemand.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, ticket__status__in=FINAL, ticket__closed_at__isnull=False)
            .select_related("partner", "ticket__merged_into")
            .order_by("id")[:SWEEP_BATCH]
        )
        for d in demands:
            lifecycle.police_step(
                ticket=d.ticket,
                action="police_result",
                data={"partner": d.partner.code, "police_ref": d.police_ref,
                      **result_of(d.ticket)},
            )  # fmt: skip
            d.result_for = d.ticket.closed_at
            d.result_sent_at = now
            d.save(update_fields=["result_for", "result_sent_at"])
            sent += 1
    return sent
