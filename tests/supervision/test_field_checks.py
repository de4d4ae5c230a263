"""暗访: a supervisor records phone and field checks of the units of their region, keeps photos
checked like ticket attachments, opens a 督办 from a finding or proposes accountability (the
evaluation app's list counts it). API and pages refuse anonymous, other-city and no-role
users; bad input is a clear error and changes nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.evaluation import accountability
from hotline.orgs.models import Membership, Role, User
from hotline.supervision import field_checks
from hotline.supervision.models import CheckPhoto, FieldCheck, ItemState, SupervisionItem
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
API = "/api/v1/supervision/field-checks"


@pytest.fixture
def people(province, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    u = province.users
    u["xm_supervisor"] = User.objects.create(username="xm_supervisor", full_name="厦门督查")
    Membership.objects.create(user=u["xm_supervisor"], unit=province.units["xm"],
                              role=Role.SUPERVISOR)  # fmt: skip
    u["gl_supervisor"] = User.objects.create(username="gl_supervisor", full_name="鼓楼督查")
    Membership.objects.create(user=u["gl_supervisor"], unit=province.units["gl"],
                              role=Role.SUPERVISOR)  # fmt: skip
    u["nobody"] = User.objects.create(username="nobody", full_name="无角色")
    return u


@pytest.fixture
def ticket(province):
    return ticket_at(province, Status.IN_PROGRESS)  # lead unit: 鼓楼区住建局


def _phone(by, unit, **kw):
    data = dict(by=by, kind="phone", unit=unit, checked_at=timezone.now() - dt.timedelta(hours=1),
                findings="响铃40秒无人接听，再拨后接听人态度生硬", phone_number="0591-87654321",
                answered_by="", ring_seconds=40, score=55)  # fmt: skip
    return field_checks.record(**(data | kw))


def test_a_phone_check_of_a_unit_is_recorded_with_its_figures(province, people):
    check = _phone(people["fz_supervisor"], province.units["gl_housing"])

    assert (check.kind, check.unit.code, check.ring_seconds, check.score) == (
        "phone", "gl_housing", 40, 55)  # fmt: skip
    assert check.ticket is None and check.opened_item is None


def test_a_field_visit_on_a_ticket_takes_the_lead_unit_and_opens_a_supervision_item(
    province, people, ticket
):
    by = people["fz_supervisor"]
    check = field_checks.record(by=by, kind="field", ticket=ticket, place="鼓楼区住建局服务窗口",
                                checked_at=timezone.now(), findings="窗口无人值守，群众等候半小时")  # fmt: skip
    item = field_checks.open_supervision(check=check, by=by, reason="窗口无人值守，限期整改")

    check.refresh_from_db()
    ticket.refresh_from_db()
    assert check.unit.code == "gl_housing"
    assert check.opened_item == item
    assert (item.state, item.target_unit.code, item.ticket_id) == (
        ItemState.OPEN, "gl_housing", ticket.pk)  # fmt: skip
    assert item.reason == "实地暗访发现：窗口无人值守，限期整改"
    assert ticket.is_supervised is True
    with pytest.raises(IllegalTransition):
        field_checks.open_supervision(check=check, by=by, reason="再次督办")
    assert SupervisionItem.objects.count() == 1


def test_a_check_tied_to_a_ledger_item_takes_its_ticket_and_unit(province, people, ticket):
    from hotline.supervision import services

    by = people["fz_supervisor"]
    item = services.open_item(ticket=ticket, by=by, reason="群众反映强烈")
    check = _phone(by, None, item=item)
    assert (check.ticket_id, check.unit.code, check.item_id) == (ticket.pk, "gl_housing", item.pk)


def test_a_unit_check_without_ticket_cannot_open_supervision_but_may_propose(province, people):
    by = people["fz_supervisor"]
    check = _phone(by, province.units["gl_housing"])
    with pytest.raises(InvalidInput) as err:
        field_checks.open_supervision(check=check, by=by, reason="限期整改")
    assert err.value.field == "ticket"

    field_checks.propose_accountability(check=check, by=by, reason="多次暗访无人接听，建议通报问责")
    check.refresh_from_db()
    assert check.proposed_by == by
    with pytest.raises(IllegalTransition):
        field_checks.propose_accountability(check=check, by=by, reason="再次提出问责建议")


def test_the_accountability_list_of_the_period_names_the_proposed_unit(province, people, ticket):
    by = people["fz_supervisor"]
    check = _phone(by, province.units["gl_housing"])
    field_checks.propose_accountability(check=check, by=by, reason="多次暗访无人接听，建议通报问责")
    period = timezone.localdate().strftime("%Y-%m")

    on_ticket = field_checks.record(by=by, kind="field", ticket=ticket, place="服务大厅",
                                    checked_at=timezone.now(), findings="窗口无人值守半小时")  # fmt: skip
    field_checks.propose_accountability(check=on_ticket, by=by, reason="窗口无人，建议问责")

    entries = accountability.entries(accountability.units_in_scope(by), period)

    [entry] = entries
    assert entry.unit.code == "gl_housing"
    assert entry.counts["field"] == 2
    assert entry.evidence["field"] == [ticket.number]  # the unit's own check names none


@pytest.mark.parametrize(
    ("user", "unit", "error"),
    [
        pytest.param("xm_supervisor", "gl_housing", NotFound, id="other-city-unit-404"),
        pytest.param("gl_supervisor", "tj_housing", NotFound, id="sibling-county-unit-404"),
        pytest.param("gl_supervisor", "fz_housing", NotFound, id="unit-above-the-region-404"),
        pytest.param("fz_agent", "gl_housing", Forbidden, id="agent-is-no-supervisor"),
        pytest.param("nobody", "gl_housing", Forbidden, id="no-role"),
    ],
)
def test_checks_stay_in_the_supervisor_region(province, people, user, unit, error):
    with pytest.raises(error):
        _phone(people[user], province.units[unit])
    assert FieldCheck.objects.count() == 0


BAD = [
    pytest.param({"kind": "visit"}, "kind", id="unknown-kind"),
    pytest.param({"phone_number": "abc"}, "phone_number", id="bad-number"),
    pytest.param({"ring_seconds": None}, "ring_seconds", id="phone-without-ring"),
    pytest.param({"ring_seconds": 601}, "ring_seconds", id="ring-too-long"),
    pytest.param({"score": None}, "score", id="phone-without-score"),
    pytest.param({"score": 101}, "score", id="score-over-100"),
    pytest.param({"findings": "差"}, "findings", id="findings-too-short"),
    pytest.param({"checked_at": None}, "checked_at", id="no-time"),
    pytest.param({"kind": "field", "place": ""}, "place", id="visit-without-place"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_input_names_the_field_in_both_languages(province, people, change, field):
    with pytest.raises(InvalidInput) as err:
        _phone(people["fz_supervisor"], province.units["gl_housing"], **change)
    assert err.value.field == field
    assert err.value.message_zh and err.value.message_en
    assert FieldCheck.objects.count() == 0


def test_a_check_of_nothing_is_refused(province, people):
    with pytest.raises(InvalidInput) as err:
        _phone(people["fz_supervisor"], None)
    assert err.value.field == "unit"
    assert FieldCheck.objects.count() == 0


def test_a_check_in_the_future_is_refused(province, people):
    with pytest.raises(InvalidInput) as err:
        _phone(people["fz_supervisor"], province.units["gl_housing"],
               checked_at=timezone.now() + dt.timedelta(hours=1))  # fmt: skip
    assert err.value.field == "checked_at"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("现场.png", b"GIF89a" + bytes(20), "内容与扩展名不符", id="content-not-png"),
        pytest.param("现场.exe", b"MZ" + bytes(20), "只能上传", id="type-not-accepted"),
        pytest.param("现场.png", b"", "文件是空的", id="empty"),
    ],
)
def test_photos_are_checked_by_content_and_refused_whole(province, people, name, content,
                                                         reason):  # fmt: skip
    check = _phone(people["fz_supervisor"], province.units["gl_housing"])
    with pytest.raises(InvalidInput) as err:
        field_checks.add_photo(check=check, by=people["fz_supervisor"],
                               upload=SimpleUploadedFile(name, content))  # fmt: skip
    assert reason in err.value.message_zh
    assert err.value.field == "file"
    assert CheckPhoto.objects.count() == 0


def test_a_photo_over_the_size_limit_is_refused(province, people, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    check = _phone(people["fz_supervisor"], province.units["gl_housing"])
    with pytest.raises(InvalidInput) as err:
        field_checks.add_photo(check=check, by=people["fz_supervisor"],
                               upload=SimpleUploadedFile("a.png", PNG + bytes(2048)))  # fmt: skip
    assert "超过" in err.value.message_zh
    assert CheckPhoto.objects.count() == 0


def test_api_records_a_check_with_a_photo_and_opens_supervision(client, province, people, ticket):
    client.force_login(people["fz_supervisor"])
    r = client.post(API, {"kind": "field", "ticket": ticket.number, "place": "服务大厅",
                          "checked_at": timezone.now().isoformat(),
                          "findings": "窗口工作人员玩手机，不理会群众"},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    check_id = r.json()["id"]
    r = client.post(f"{API}/{check_id}/photos", {"file": SimpleUploadedFile("窗口.png", PNG)})
    assert r.status_code == 201, r.content
    assert r.json()["content_type"] == "image/png"
    r = client.post(f"{API}/{check_id}/supervise", {"reason": "窗口纪律松散，限期整改"},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    body = client.get(f"{API}/{check_id}").json()
    assert body["opened_item"] == r.json()["item"]
    assert [p["name"] for p in body["photos"]] == ["窗口.png"]
    assert [c["id"] for c in client.get(API).json()] == [check_id]


def test_api_bad_input_is_400_with_field_and_both_messages(client, province, people):
    client.force_login(people["fz_supervisor"])
    r = client.post(API, {"kind": "phone", "unit": "gl_housing", "phone_number": "12345",
                          "checked_at": timezone.now().isoformat(), "findings": "无人接听",
                          "ring_seconds": 30, "score": 150}, content_type="application/json")  # fmt: skip
    assert r.status_code == 400
    assert r.json()["field"] == "score"
    assert r.json()["message_zh"] == "评分须在 0–100 之间"
    assert r.json()["message_en"] == "score must be 0..100"
    assert FieldCheck.objects.count() == 0


@pytest.fixture
def check(province, people, ticket):
    return field_checks.record(by=people["fz_supervisor"], kind="field", ticket=ticket,
                               place="服务大厅", checked_at=timezone.now(),
                               findings="窗口工作人员玩手机，不理会群众")  # fmt: skip


def _endpoints(check):
    return [
        ("get", API, None),
        ("post", API, {"kind": "phone", "unit": "gl_housing", "phone_number": "12345",
                       "checked_at": timezone.now().isoformat(), "findings": "无人接听的暗访",
                       "ring_seconds": 30, "score": 50}),
        ("get", f"{API}/{check.pk}", None),
        ("post", f"{API}/{check.pk}/supervise", {"reason": "越权督办"}),
        ("post", f"{API}/{check.pk}/propose", {"reason": "越权问责建议"}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "xm_supervisor", "nobody", "gl_housing_handler"])
def test_api_refuses_who_has_no_part(client, province, people, check, who):
    if who != "anonymous":
        client.force_login(people[who])
    for method, url, body in _endpoints(check):
        if method == "get":
            r = client.get(url)
        else:
            r = client.post(url, body, content_type="application/json")
        if url == API and method == "get" and who != "anonymous":
            assert (r.status_code, r.json()) == (200, []), url
        else:
            assert r.status_code in {401, 403, 404}, (url, r.status_code)
    r = client.post(f"{API}/{check.pk}/photos", {"file": SimpleUploadedFile("a.png", PNG)})
    assert r.status_code in {401, 403, 404}
    check.refresh_from_db()
    assert (check.opened_item_id, check.proposal, check.photos.count()) == (None, "", 0)
    assert FieldCheck.objects.count() == 1


def _refused(r) -> bool:
    """404 for a signed-in user without a part, the login page for an anonymous one."""
    return r.status_code == 404 or (r.status_code == 302 and r.url.startswith("/login"))


@pytest.mark.parametrize("who", ["anonymous", "xm_supervisor", "nobody", "gl_housing_handler"])
def test_pages_refuse_who_has_no_part(client, province, people, check, who):
    if who != "anonymous":
        client.force_login(people[who])
    photo = field_checks.add_photo(check=check, by=people["fz_supervisor"],
                                   upload=SimpleUploadedFile("a.png", PNG))  # fmt: skip
    gets = ["/supervision/field-checks/", f"/supervision/field-checks/{check.pk}/",
            f"/supervision/field-check-photos/{photo.pk}/"]  # fmt: skip
    for url in gets:
        r = client.get(url)
        if who == "xm_supervisor" and url == gets[0]:  # their own (empty) list, not 福州's
            assert r.status_code == 200
            assert check.findings not in r.content.decode()
            continue
        assert _refused(r), (url, r.status_code)
    for action in ("supervise", "propose", "photos"):
        r = client.post(f"/supervision/field-checks/{check.pk}/{action}/", {"reason": "越权操作"})
        assert _refused(r), (action, r.status_code)
    r = client.post("/supervision/field-checks/new/", {"kind": "field", "unit": "gl_housing",
                    "place": "大厅", "checked_at": "2026-12-01T09:00", "findings": "越权记录"})  # fmt: skip
    assert _refused(r)
    check.refresh_from_db()
    assert (check.opened_item_id, check.proposal, FieldCheck.objects.count()) == (None, "", 1)


def test_the_page_records_a_check_and_shows_a_bad_field(client, province, people, ticket):
    client.force_login(people["fz_supervisor"])
    r = client.post("/supervision/field-checks/new/", {
        "kind": "field", "ticket": ticket.number, "place": "", "checked_at": "2026-12-01T09:00",
        "findings": "窗口无人"})  # fmt: skip
    assert r.status_code == 400
    assert "暗访地点至少2个字（字段 place）" in r.content.decode()
    assert FieldCheck.objects.count() == 0
    r = client.post("/supervision/field-checks/new/", {
        "kind": "field", "ticket": ticket.number, "place": "服务大厅",
        "checked_at": "2026-12-01T09:00", "findings": "窗口无人值守"})  # fmt: skip
    check = FieldCheck.objects.get()
    assert r.url == f"/supervision/field-checks/{check.pk}/"
    r = client.post(f"/supervision/field-checks/{check.pk}/supervise/", {"reason": "限期整改"})
    check.refresh_from_db()
    assert check.opened_item.state == ItemState.OPEN
    assert "已发起督办" in client.get(f"/supervision/field-checks/{check.pk}/").content.decode()
