"""Incidents and their 口径: the only code that changes them (tickets change through
tickets.lifecycle, knowledge entries through knowledge.services).

    declare(*, by, name, regions, keywords, examples, categories=(), starts_at=None,
            ends_at=None, center=None) -> Incident
    write_script(*, by, incident, body) -> Script           a new draft version
    approve_script(*, by, script) -> Script                 live on every desktop in scope
    close_incident(*, by, incident) -> Incident
    resolve_with_script(*, by, incident, data) -> Ticket    直接办结 from the 口径
    visible_incidents(user) / current_script(incident) / get_incident(user, pk)
Marking, grouping and the reply fan-out are in marking.py and grouping.py.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline.errors import IllegalTransition, InvalidInput, NotFound
from hotline.knowledge import services as knowledge
from hotline.orgs.models import Membership, Region, Role
from hotline.realtime import publish, topics
from hotline.text import normalize
from hotline.tickets import lifecycle
from hotline.tickets.registration import RegisterInput

from . import access
from .models import (
    Incident,
    IncidentState,
    IncidentTicket,
    MatchSource,
    PoolMember,
    Script,
    ScriptState,
    TemporaryAgent,
)

MAX_WORDS = 50
MAX_EXAMPLES = 20


def _words(values, field: str, label: str, *, required: bool, max_items: int, max_len: int):
    items = [normalize(v).strip() for v in (values or [])]
    items = list(dict.fromkeys(v for v in items if v))
    if required and not items:
        raise InvalidInput(f"请填写{label}", f"{field} is required", field=field)
    if len(items) > max_items:
        raise InvalidInput(
            f"{label}最多 {max_items} 项", f"{field}: at most {max_items} items", field=field
        )
    for v in items:
        if len(v) > max_len:
            raise InvalidInput(
                f"{label}每项不超过 {max_len} 个字", f"{field}: an item is too long", field=field
            )
    return items


def _regions(codes) -> list[Region]:
    codes = [c.strip() for c in (codes or []) if c and c.strip()]
    if not codes:
        raise InvalidInput("请选择涉及区划", "regions is required", field="regions")
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            f"行政区划代码不存在：{missing[0]}", f"unknown region {missing[0]}", field="regions"
        )
    return [found[c] for c in dict.fromkeys(codes)]


def declare(
    *,
    by,
    name: str,
    regions,
    keywords,
    examples,
    categories=(),
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    center=None,
) -> Incident:
    """Declare an incident for `regions` (codes); only a center's managers, for its regions."""
    name = (name or "").strip()
    if not 2 <= len(name) <= 100:
        raise InvalidInput(
            "事件名称应为 2–100 个字", "name must be 2..100 characters", field="name"
        )
    region_objs = _regions(regions)
    words = _words(keywords, "keywords", "关键词", required=True, max_items=MAX_WORDS, max_len=20)
    samples = _words(
        examples, "examples", "典型诉求", required=False, max_items=MAX_EXAMPLES, max_len=500
    )
    cats = [c.strip() for c in (categories or []) if c and c.strip()]
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(
            "结束时间须晚于开始时间", "ends_at must follow starts_at", field="ends_at"
        )
    owner = access.declaring_center(by, region_objs, center)
    with transaction.atomic():
        incident = Incident.objects.create(
            name=name,
            center=owner,
            starts_at=starts_at,
            ends_at=ends_at,
            keywords=words,
            categories=cats,
            examples=samples,
            declared_by=by,
            declared_at=now,
        )
        incident.regions.set(region_objs)
    return incident


def get_incident(user, pk) -> Incident:
    """The incident if `user` may see it, else NotFound."""
    incident = Incident.objects.select_related("center__region", "article").filter(pk=pk).first()
    if incident is None or not access.sees(user, incident):
        raise NotFound("突发事件不存在", "no such incident")
    return incident


def visible_incidents(user, *, active_only: bool = False) -> list[Incident]:
    qs = Incident.objects.select_related("center").prefetch_related("regions").order_by("-id")
    if active_only:
        qs = qs.filter(state=IncidentState.ACTIVE)
    return [i for i in qs if access.sees(user, i)]


def current_script(incident: Incident) -> Script | None:
    """The approved 口径 (None until one is approved: a draft is never shown to agents)."""
    return incident.scripts.filter(state=ScriptState.APPROVED).first()


def _require_active(incident: Incident) -> None:
    if incident.state != IncidentState.ACTIVE:
        raise IllegalTransition("突发事件已结束", "the incident is closed", field="incident")


def write_script(*, by, incident: Incident, body: str) -> Script:
    """A new draft version of the 口径; agents keep the approved one until this is approved."""
    access.require_manager(by, incident)
    _require_active(incident)
    body = (body or "").strip()
    if not 10 <= len(body) <= 5000:
        raise InvalidInput("口径内容应为 10–5000 个字", "body must be 10..5000 chars", field="body")
    with transaction.atomic():
        Incident.objects.select_for_update().get(pk=incident.pk)  # one version number at a time
        last = incident.scripts.order_by("-version").values_list("version", flat=True).first()
        return Script.objects.create(
            incident=incident,
            version=(last or 0) + 1,
            body=body,
            state=ScriptState.DRAFT,
            written_by=by,
            written_at=timezone.now(),
        )


def approve_script(*, by, script: Script) -> Script:
    """Approve a draft: it replaces the old 口径 in the pinned knowledge entry and on every
    agent's desktop in scope (pushed after the commit)."""
    incident = script.incident
    access.require_manager(by, incident)
    _require_active(incident)
    with transaction.atomic():
        s = Script.objects.select_for_update().get(pk=script.pk)
        if s.state != ScriptState.DRAFT:
            raise IllegalTransition(
                "该口径不是待审批状态", "the script is not a draft", field="script"
            )
        now = timezone.now()
        incident.scripts.filter(state=ScriptState.APPROVED).update(state=ScriptState.SUPERSEDED)
        s.state, s.approved_by, s.approved_at = ScriptState.APPROVED, by, now
        s.save(update_fields=["state", "approved_by", "approved_at"])
        entry = knowledge.ArticleInput(
            title=f"【口径】{incident.name}"[:200], body=s.body, owner=incident.center
        )
        if incident.article_id is None:
            incident.article = knowledge.create_article(by=by, data=entry)
            incident.save(update_fields=["article"])
        else:
            knowledge.update_article(article=incident.article, by=by, data=entry)
        announce(incident, s)
    return s


def _agents_in_scope(incident: Incident):
    """Active agent memberships at units whose region overlaps the incident's regions."""
    cond = Q(pk__in=[])
    for r in incident.regions.all():
        ancestors = []
        prefix = ""
        for code in r.path.split("/")[:-1]:
            prefix += code + "/"
            ancestors.append(prefix)
        cond |= Q(unit__region__path__startswith=r.path) | Q(unit__region__path__in=ancestors)
    return Membership.objects.filter(cond, role=Role.AGENT, is_active=True, unit__is_active=True)


def pool_agents() -> list[int]:
    """Agents of the province-wide pool: they take any overflowing city's calls, so they
    answer from every running incident's 口径."""
    return list(PoolMember.objects.filter(is_active=True).values_list("user_id", flat=True))


def desktop_incidents(user) -> list[tuple[Incident, Script]]:
    """What the desktop banner shows: running incidents in view (every one for a pool agent,
    the own one for a temporary agent) with their approved 口径."""
    temp = TemporaryAgent.objects.filter(
        user=user, is_active=True, incident__state=IncidentState.ACTIVE
    ).first()
    if temp is not None:
        incidents = [temp.incident]
    elif PoolMember.objects.filter(user_id=user.pk, is_active=True).exists():
        incidents = list(Incident.objects.filter(state=IncidentState.ACTIVE).order_by("-id"))
    else:
        incidents = visible_incidents(user, active_only=True)
    rows = [(i, current_script(i)) for i in incidents]
    return [(i, s) for i, s in rows if s is not None]


def announce(incident: Incident, script: Script | None) -> int:
    """Tell every desktop in scope (and the pool's) the incident's banner changed (after the
    commit); returns the number of messages published.

    One message per unit in scope (its agents' desks), not one per agent: a thousand desktops
    cost the approval one publish, and the message carries the 口径 itself, so no desktop has
    to ask the database for it. Every agent of such a unit sees the incident (access.sees:
    their unit's region overlaps it), so the text reaches no one who could not read it.
    """
    message = {
        "kind": "incident",
        "incident_id": incident.pk,
        "name": incident.name,
        "version": script.version if script else None,
        "script_id": script.pk if script else None,
        "body": script.body if script else None,
    }
    units = set(_agents_in_scope(incident).values_list("unit_id", flat=True))
    for unit in sorted(units):
        publish(topics.desk_topic(unit), message)
    # Pool agents answer any city's overflow: each hears every incident on their own topic,
    # unless one of their units' desks heard it already.
    pool = pool_agents()
    covered = set(
        _agents_in_scope(incident).filter(user_id__in=pool).values_list("user_id", flat=True)
    )
    pool = [uid for uid in pool if uid not in covered]
    for uid in pool:
        publish(topics.agent_topic(uid), message)
    return len(units) + len(pool)


def close_incident(*, by, incident: Incident) -> Incident:
    """End the incident: its banner leaves the desktops; the entry stays for the record."""
    access.require_manager(by, incident)
    _require_active(incident)
    with transaction.atomic():
        incident.state = IncidentState.CLOSED
        incident.ends_at = incident.ends_at or timezone.now()
        incident.save(update_fields=["state", "ends_at"])
        announce(incident, None)
    return incident


def resolve_with_script(*, by, incident: Incident, data: RegisterInput):
    """直接办结: the agent answered from the approved 口径 and closes the demand at once; the
    ticket is marked as the incident's, answered at first contact."""
    if not access.sees(by, incident):
        raise NotFound("突发事件不存在", "no such incident")
    _require_active(incident)
    script = current_script(incident)
    if script is None:
        raise IllegalTransition("该事件尚无已发布的口径", "no approved script", field="incident")
    with transaction.atomic():
        ticket = lifecycle.resolve_at_intake(
            by=by, data=data, reply=script.body, article=knowledge.article_ref(incident.article)
        )
        knowledge.record_use(article=incident.article, by=by, ticket=ticket)
        IncidentTicket.objects.get_or_create(
            incident=incident,
            ticket=ticket,
            defaults={
                "source": MatchSource.AGENT,
                "at_intake": True,
                "script_version": script.version,
                "marked_at": timezone.now(),
                "created_at": ticket.created_at,
            },
        )
    return ticket
