"""The machine's advice where people decide: the suggested unit on the dispatch queue, the
automatic review beside a reply. Both come from their apps' services; a failure there is
logged and shown as no advice, never as an error on the page."""

import logging

from django.utils.html import escape
from django.utils.safestring import mark_safe

from hotline.text import normalize

log = logging.getLogger(__name__)
HIGH_CONFIDENCE = 90  # percent: the bulk "accept the suggestions" button takes only these
SCORE_LABELS = {"relevance": "相关性", "completeness": "完整性", "explainability": "可解释性"}
VERDICT_LABELS = {"pass": "可发出", "warn": "建议退回", "block": "拦截"}


def unit_suggestion(ticket) -> dict | None:
    """The suggested lead unit for a ticket: {code, name, confidence (%), reason, others}."""
    return suggestions([ticket]).get(ticket.number)


def _unit(s) -> dict | None:
    if not s.units:
        return None
    lead = s.units[0]
    return {
        "code": lead["code"],
        "name": lead["name"],
        "confidence": round(lead["confidence"] * 100),
        "reason": lead.get("reason", ""),
        "others": [u["name"] for u in s.units[1:3]],
    }


def preselect(options: str, code: str) -> str:
    """The <option>s of `actions.tree_options` with `code` selected (codes are our own)."""
    return mark_safe(
        options.replace(
            f'<option value="{escape(code)}">', f'<option value="{escape(code)}" selected>', 1
        )
    )


def suggestions(tickets) -> dict[str, dict]:
    """Each ticket's suggested lead unit by number (none where routing has no advice); the
    texts go through the classifier in one batch."""
    from hotline.routing import services as routing

    tickets = list(tickets)
    try:
        found = routing.suggest_for_tickets(tickets)
    except Exception:  # advice is optional: the dispatcher can always choose by hand
        log.exception("routing suggestions for %s failed", [t.number for t in tickets])
        return {}
    return {t.number: u for t, s in zip(tickets, found, strict=True) if (u := _unit(s))}


def _marked(text: str, sentences: set[str]) -> str:
    """The reply as HTML with each flagged sentence in <mark>; everything else escaped."""
    html = escape(text)
    for s in sorted(sentences, key=len, reverse=True):
        html = html.replace(escape(s), f'<mark data-testid="flagged">{escape(s)}</mark>')
    return mark_safe(html.replace("\n", "<br>"))


def reply_review(ticket) -> dict | None:
    """The latest automatic review of the ticket's reply, ready for the reviewer's page."""
    return reply_reviews([ticket])[ticket.pk]


def reply_reviews(tickets) -> dict:
    """The latest automatic review of each ticket's reply, in one query for a queue's page."""
    from hotline.screening.models import ReplyReview

    latest = {}
    by_id = {t.pk: t for t in tickets}
    for review in ReplyReview.objects.filter(ticket__in=list(by_id)).order_by("-id"):
        latest.setdefault(review.ticket_id, review)
    return {pk: _shown(t, latest.get(pk) or _live(t)) for pk, t in by_id.items()}


def _live(ticket):
    """A review made now for a reply that reached the center without one (a bulk load, a
    migration): the reviewer sees the same advice, and nothing is written on a page view."""
    from hotline.screening import services as screening

    if not ticket.reply:
        return None
    try:
        review = screening.check_reply(ticket, ticket.reply)
    except Exception:  # advice is optional, as for the suggestions
        log.exception("automatic review of %s failed", ticket.number)
        return None
    return screening.review_record(ticket=ticket, body=ticket.reply, review=review)


def _as_written(reasons: list[dict], reply: str) -> list[dict]:
    """The reasons with each quoted sentence as the reply wrote it: the review quotes its
    normalised text (half-width "，" → ",", lower case), which the reply shown does not contain."""
    from hotline.screening.reply_model import sentences

    written = {normalize(s): s for s in sentences(reply)}
    return [
        {**r, "sentence": written.get(r.get("sentence") or "", r.get("sentence"))} for r in reasons
    ]


def _shown(ticket, review) -> dict | None:
    if review is None:
        return None
    reply = ticket.reply or review.body
    every = _as_written(review.reasons, reply)
    reasons = [r for r in every if r.get("severity") != "hint"]
    return {
        "verdict": review.verdict,
        "verdict_label": VERDICT_LABELS.get(review.verdict, review.verdict),
        "probability": review.probability,
        "scores": [(SCORE_LABELS[k], v) for k, v in review.scores.items() if k in SCORE_LABELS],
        "reasons": reasons,
        "hints": [r for r in every if r.get("severity") == "hint"],
        "reply_html": _marked(reply, {r["sentence"] for r in reasons if r.get("sentence")}),
    }
