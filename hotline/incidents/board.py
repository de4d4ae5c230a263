"""The incident's live board: volume per hour, questions the 口径 does not cover, share closed
at first contact, the groups and their replies, extra agents needed now."""

from collections import Counter

from django.db.models import Count, Q
from django.utils import timezone

from hotline.knowledge.tokens import tokenize
from hotline.tickets.models import Ticket

from . import staffing
from .models import DeliveryStatus, Incident, IncidentTicket, ReplyDelivery, TicketGroup
from .services import current_script

TOP = 10
SAMPLE = 5000  # newest uncovered demands read for the top questions (and as many ordinary ones)
MIN_ASKED = 2  # a question one citizen asked once is no 高频问题
MIN_LIFT = 3.0  # a word shown is at least this many times as common as in ordinary demands


def per_hour(incident: Incident) -> list[dict]:
    counts = Counter()
    for at in IncidentTicket.objects.filter(incident=incident).values_list("created_at", flat=True):
        local = timezone.localtime(at)
        counts[local.strftime("%m-%d %H:00")] += 1
    return [{"hour": h, "n": counts[h]} for h in sorted(counts)]


def _words(title: str, content: str) -> set[str]:
    return {w for w in tokenize(f"{title} {content}") if len(w) >= 2}


def uncovered_questions(incident: Incident, script_body: str) -> list[dict]:
    """The words the incident's demands (those not closed from the 口径) ask about that the 口径
    never uses and that the center's ordinary demands rarely use.

    Ordinary demands are the center's newest before the incident began: 家里, 小区 or 咨询
    are frequent in any demand and would otherwise head the list, hiding the questions the
    surge brought.
    """
    covered = set(tokenize(script_body)) | set(incident.keywords)
    asked = Ticket.objects.filter(
        pk__in=IncidentTicket.objects.filter(incident=incident, at_intake=False)
        .order_by("-id")
        .values("ticket_id")[:SAMPLE]
    ).values_list("title", "content")
    ordinary = (
        Ticket.objects.filter(center_id=incident.center_id, created_at__lt=incident.starts_at)
        .order_by("-id")
        .values_list("title", "content")[:SAMPLE]
    )
    counts: Counter = Counter()
    example: dict[str, str] = {}
    for title, content in asked:
        for w in _words(title, content) - covered:
            counts[w] += 1
            example.setdefault(w, title)
    usual: Counter = Counter()
    for title, content in ordinary:
        usual.update(_words(title, content))
    n_asked, n_ordinary = len(asked), len(ordinary)
    shown = []
    # Most asked first, the longer word first among equals: the search tokens of 热水器 are
    # also 热水 and 水器, which say nothing the whole word does not.
    for word, n in sorted(counts.items(), key=lambda wn: (-wn[1], -len(wn[0]), wn[0])):
        if n < MIN_ASKED:
            break
        if any(word in s["word"] for s in shown):
            continue
        # its share among the incident's demands against its share among ordinary ones
        if n / n_asked >= MIN_LIFT * usual[word] / max(n_ordinary, 1):
            shown.append({"word": word, "n": n, "example": example[word]})
            if len(shown) == TOP:
                break
    return shown


def snapshot(incident: Incident, now=None) -> dict:
    marks = IncidentTicket.objects.filter(incident=incident).aggregate(
        total=Count("id"), at_intake=Count("id", filter=Q(at_intake=True))
    )
    script = current_script(incident)
    deliveries = ReplyDelivery.objects.filter(group__incident=incident).aggregate(
        sent=Count("id", filter=Q(status=DeliveryStatus.SENT)), all=Count("id")
    )
    now_staff = staffing.needed_now(incident.center, now)
    return {
        "total": marks["total"],
        "at_intake": marks["at_intake"],
        "first_contact_share": round(marks["at_intake"] / marks["total"], 4)
        if marks["total"]
        else None,
        "per_hour": per_hour(incident),
        "uncovered": uncovered_questions(incident, script.body if script else ""),
        "groups": TicketGroup.objects.filter(incident=incident).count(),
        "replies_sent": deliveries["sent"],
        "replies_all": deliveries["all"],
        "staffing": {
            "signed_in": now_staff.signed_in,
            "needed": now_staff.needed.scheduled,
            "extra": now_staff.extra,
            "forecast_calls": round(now_staff.forecast_calls, 1),
            "last_half_hour_calls": now_staff.last_half_hour_calls,
        },
        "script_version": script.version if script else None,
    }
