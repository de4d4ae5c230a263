"""Incidents: who declares, 口径 drafts and approval, the pinned entry, the push, 直接办结."""

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.incidents import services
from hotline.incidents.models import IncidentTicket, MatchSource, ScriptState
from hotline.knowledge import services as knowledge
from hotline.knowledge.models import Article
from hotline.tickets.models import Status
from tests.tickets.factory import demand

WATER = dict(
    name="鼓楼区停水",
    regions=["350102"],
    keywords=["停水", "没水"],
    examples=["家里突然停水了，什么时候恢复供水"],
)


def declare(p, by="fz_admin", **overrides):
    return services.declare(by=p.users[by], **{**WATER, **overrides})


def approved(
    p, incident, body="鼓楼区因主管爆裂停水，预计今晚20时恢复供水，送水点设在鼓东街道办。"
):
    script = services.write_script(by=p.users["fz_admin"], incident=incident, body=body)
    return services.approve_script(by=p.users["fz_admin"], script=script)


def test_a_city_manager_declares_for_its_own_regions(p):
    incident = declare(p)
    assert incident.center == p.units["fz"]
    assert [r.code for r in incident.regions.all()] == ["350102"]
    assert incident.keywords == ["停水", "没水"]


@pytest.mark.parametrize(
    ("username", "regions"),
    [
        pytest.param("xm_admin", ["350102"], id="another-city's-manager"),
        pytest.param("fz_agent", ["350102"], id="an-agent"),
        pytest.param("fz_supervisor", ["350102"], id="a-supervisor"),
        pytest.param("fz_admin", ["350203"], id="outside-own-regions"),
        pytest.param("fz_admin", ["350102", "350203"], id="partly-outside"),
    ],
)
def test_only_a_centers_managers_declare_and_only_for_their_regions(p, username, regions):
    with pytest.raises(Forbidden) as exc:
        declare(p, by=username, regions=regions)
    assert exc.value.field == "regions"
    assert services.Incident.objects.count() == 0


def test_the_province_declares_for_any_region(p):
    incident = declare(p, by="prov_admin", regions=["350102", "350203"])
    assert incident.center == p.units["prov"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"name": "停"}, "name", id="short-name"),
        pytest.param({"regions": []}, "regions", id="no-region"),
        pytest.param({"regions": ["999999"]}, "regions", id="unknown-region"),
        pytest.param({"keywords": [" ", ""]}, "keywords", id="no-keyword"),
        pytest.param({"keywords": ["停" * 21]}, "keywords", id="long-keyword"),
    ],
)
def test_bad_declarations_change_nothing(p, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        declare(p, **overrides)
    assert exc.value.field == field
    assert services.Incident.objects.count() == 0


def test_a_draft_is_never_shown_and_approval_pins_the_entry_and_pushes_it(
    p, live, django_capture_on_commit_callbacks
):
    incident = declare(p)
    draft = services.write_script(
        by=p.users["fz_admin"], incident=incident, body="预计今晚20时恢复供水，请市民做好储水。"
    )
    assert services.current_script(incident) is None
    assert incident.article_id is None
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_script(by=p.users["fz_admin"], script=draft)
    incident.refresh_from_db()
    assert services.current_script(incident).version == 1
    article = Article.objects.get(pk=incident.article_id)
    assert (article.title, article.body, article.owner) == (
        "【口径】鼓楼区停水",
        "预计今晚20时恢复供水，请市民做好储水。",
        p.units["fz"],
    )
    # 福州's and the province's agents are in scope, one message to each center's desks, with
    # the 口径 itself; 厦门's are not.
    assert live.topics("incident") == sorted(f"desk:{p.units[u].pk}" for u in ("fz", "prov"))
    assert {d["body"] for _, d in live.messages} == {"预计今晚20时恢复供水，请市民做好储水。"}


def test_a_new_version_replaces_the_old_one_in_the_same_entry(p):
    incident = declare(p)
    approved(p, incident)
    second = approved(p, incident, body="供水已于20时恢复，如仍无水请拨打12345。")
    incident.refresh_from_db()
    states = dict(incident.scripts.values_list("version", "state"))
    assert states == {1: ScriptState.SUPERSEDED, 2: ScriptState.APPROVED}
    assert second.version == 2
    assert Article.objects.filter(title="【口径】鼓楼区停水").count() == 1
    assert (
        Article.objects.get(pk=incident.article_id).body
        == "供水已于20时恢复，如仍无水请拨打12345。"
    )


def test_only_the_declaring_centers_managers_write_and_approve(p):
    incident = declare(p)
    with pytest.raises(Forbidden):
        services.write_script(
            by=p.users["fz_agent"], incident=incident, body="今晚恢复供水，请耐心等待。"
        )
    with pytest.raises(NotFound):
        services.write_script(
            by=p.users["xm_admin"], incident=incident, body="今晚恢复供水，请耐心等待。"
        )
    draft = services.write_script(
        by=p.users["fz_admin"], incident=incident, body="今晚恢复供水，请耐心等待。"
    )
    with pytest.raises(Forbidden):
        services.approve_script(by=p.users["fz_dispatcher"], script=draft)
    draft.refresh_from_db()
    assert draft.state == ScriptState.DRAFT


def test_an_approved_script_cannot_be_approved_again(p):
    incident = declare(p)
    script = approved(p, incident)
    with pytest.raises(IllegalTransition):
        services.approve_script(by=p.users["fz_admin"], script=script)


def test_who_sees_an_incident(p):
    incident = declare(p)
    seen = {
        u: services.access.sees(p.users[u], incident)
        for u in ("fz_agent", "prov_agent", "gl_housing_handler", "xm_agent")
    }
    assert seen == {
        "fz_agent": True,
        "prov_agent": True,
        "gl_housing_handler": True,
        "xm_agent": False,
    }
    with pytest.raises(NotFound):
        services.get_incident(p.users["xm_agent"], incident.pk)


def test_one_click_resolve_from_the_script_closes_and_marks_at_first_contact(p):
    incident = declare(p)
    approved(p, incident)
    ticket = services.resolve_with_script(
        by=p.users["fz_agent"],
        incident=incident,
        data=demand(
            channel="phone",
            appeal_type="consult",
            title="停水什么时候恢复",
            content="家里停水了，问什么时候来水。",
        ),
    )
    assert ticket.status == Status.CLOSED
    assert ticket.reply.startswith("鼓楼区因主管爆裂停水")
    mark = IncidentTicket.objects.get(incident=incident, ticket=ticket)
    assert (mark.source, mark.at_intake, mark.script_version) == (MatchSource.AGENT, True, 1)
    assert Article.objects.get(pk=incident.article_id).use_count == 1
    event = ticket.events.get(action="resolve_at_intake")
    assert event.data["article"] == knowledge.article_ref(incident.article)


def test_no_resolve_without_an_approved_script(p):
    incident = declare(p)
    with pytest.raises(IllegalTransition):
        services.resolve_with_script(
            by=p.users["fz_agent"],
            incident=incident,
            data=demand(channel="phone", appeal_type="consult"),
        )
    assert IncidentTicket.objects.count() == 0


def test_a_closed_incident_takes_no_new_script(p, live, django_capture_on_commit_callbacks):
    incident = declare(p)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_incident(by=p.users["fz_admin"], incident=incident)
    with pytest.raises(IllegalTransition):
        services.write_script(
            by=p.users["fz_admin"], incident=incident, body="今晚恢复供水，请耐心等待。"
        )
    assert live.topics("incident") == sorted(f"desk:{p.units[u].pk}" for u in ("fz", "prov"))
