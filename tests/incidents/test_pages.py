"""Incident pages: who sees which page (out of scope = 404), refusals shown with nothing
changed, the desktop banner on the agent's desk, nav links by role."""

import pytest

from hotline.incidents import overflow, services, temporary, urgent
from hotline.incidents.models import Incident, OverflowRule, PoolMember, Script, UrgentReport

from .test_incidents import approved, declare

BODY = "鼓楼区因主管爆裂停水，预计今晚20时恢复供水，送水点设在鼓东街道办。"


def as_user(client, p, username):
    client.force_login(p.users[username])
    return client


def text(r) -> str:
    return r.content.decode()


@pytest.mark.parametrize(
    ("username", "status"),
    [("fz_admin", 200), ("fz_agent", 200), ("xm_agent", 404), ("xm_housing_handler", 404)],
)
def test_the_incident_page_is_for_those_whose_regions_overlap(client, p, username, status):
    incident = declare(p)
    r = as_user(client, p, username).get(f"/incidents/{incident.pk}/")
    assert r.status_code == status
    if status == 200:
        assert "鼓楼区停水" in text(r)
        assert ("保存口径草稿" in text(r)) is (username == "fz_admin")


def test_the_list_is_404_for_who_has_no_incident_and_manages_no_center(client, p):
    assert as_user(client, p, "fz_housing_handler").get("/incidents/").status_code == 404
    r = as_user(client, p, "fz_admin").get("/incidents/")
    assert r.status_code == 200 and "宣布突发事件" in text(r)


def test_an_agent_s_board_link_shows_an_empty_board_not_404(client, p):
    r = as_user(client, p, "fz_agent").get("/incidents/")
    assert r.status_code == 200
    assert "暂无突发事件" in text(r) and "宣布突发事件" not in text(r)


def test_a_manager_declares_writes_and_approves_on_the_pages(client, p):
    c = as_user(client, p, "fz_admin")
    r = c.post("/incidents/declare/", {"name": "鼓楼区停水", "regions": "350102",
                                       "keywords": "停水，没水", "examples": "家里停水了"},
               follow=True)  # fmt: skip
    assert "已宣布突发事件「鼓楼区停水」" in text(r)
    incident = Incident.objects.get()
    assert incident.keywords == ["停水", "没水"]
    r = c.post(f"/incidents/{incident.pk}/scripts/", {"body": BODY}, follow=True)
    assert "口径第 1 版已保存，待审批" in text(r)
    script = Script.objects.get()
    r = c.post(f"/incidents/{incident.pk}/scripts/{script.pk}/approve/", follow=True)
    assert "口径第 1 版已发布到座席桌面" in text(r)
    assert BODY in text(as_user(client, p, "fz_agent").get("/incidents/banner/"))


def test_refusals_on_the_pages_change_nothing(client, p):
    r = as_user(client, p, "fz_admin").post(
        "/incidents/declare/", {"name": "厦门停水", "regions": "350203", "keywords": "停水"},
        follow=True)  # fmt: skip
    assert "只有热线中心的管理人员可以为本中心辖区宣布突发事件" in text(r)
    assert Incident.objects.count() == 0
    incident = declare(p)
    r = as_user(client, p, "fz_agent").post(f"/incidents/{incident.pk}/scripts/", {"body": BODY},
                                            follow=True)  # fmt: skip
    assert "只有宣布该事件的中心的管理人员可以操作" in text(r)
    r = as_user(client, p, "fz_admin").post(f"/incidents/{incident.pk}/scripts/", {"body": "短"},
                                            follow=True)  # fmt: skip
    assert "口径内容应为 10–5000 个字" in text(r)
    assert as_user(client, p, "xm_admin").post(f"/incidents/{incident.pk}/scripts/",
                                               {"body": BODY}).status_code == 404  # fmt: skip
    assert Script.objects.count() == 0


def test_the_desk_shows_the_banner_and_the_banner_shows_only_approved_scripts(client, p):
    incident = declare(p)
    c = as_user(client, p, "fz_agent")
    desk = text(c.get("/calls/desk/"))
    assert 'id="incident-banner"' in desk and "incidents/banner.js" in desk
    services.write_script(by=p.users["fz_admin"], incident=incident, body=BODY)
    assert "incident-banner" not in text(c.get("/incidents/banner/"))
    approved(p, incident, body="新口径：今晚22时恢复供水，请居民提前储水。")
    assert "新口径：今晚22时恢复供水" in text(c.get("/incidents/banner/"))
    assert "incident-banner" not in text(as_user(client, p, "xm_agent").get("/incidents/banner/"))


def test_a_pool_agent_of_another_city_sees_every_running_incidents_script(client, p, live,
                                                                          django_capture_on_commit_callbacks):  # fmt: skip
    incident = declare(p)
    overflow.mark_agent(by=p.users["xm_admin"], user=p.users["xm_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        approved(p, incident)
    assert f"agent:{p.users['xm_agent'].pk}" in live.topics("incident")
    assert BODY in text(as_user(client, p, "xm_agent").get("/incidents/banner/"))


def test_overflow_settings_are_for_managers(client, p):
    assert as_user(client, p, "fz_agent").get("/incidents/pool/").status_code == 404
    c = as_user(client, p, "fz_admin")
    assert "溢出设置与省级统筹座席池" in text(c.get("/incidents/pool/"))
    r = c.post("/incidents/pool/rule/", {"center": "fz", "max_waiting": "0",
                                          "max_wait_seconds": "60", "is_active": "on"}, follow=True)  # fmt: skip
    assert "阈值须为正整数" in text(r) and OverflowRule.objects.count() == 0
    c.post("/incidents/pool/rule/", {"center": "fz", "max_waiting": "3", "max_wait_seconds": "60",
                                     "is_active": "on"})  # fmt: skip
    assert OverflowRule.objects.get().max_waiting == 3
    assert c.post("/incidents/pool/rule/", {"center": "xm", "max_waiting": "3",
                                            "max_wait_seconds": "60"}).status_code == 404  # fmt: skip
    r = c.post("/incidents/pool/mark/", {"username": "xm_agent"}, follow=True)
    assert "只能标记本中心的话务员" in text(r) and PoolMember.objects.count() == 0
    r = c.post("/incidents/pool/mark/", {"username": "fz_agent", "active": "1"}, follow=True)
    assert "fz_agent 已加入省级统筹座席池" in text(r)


def test_an_urgent_report_is_raised_and_acknowledged_on_the_pages(client, p):
    r = as_user(client, p, "gl_dispatcher").post("/incidents/reports/raise/", {
        "what": "鼓东街道内涝", "place": "鼓东街道", "people": "30", "risk": "有人员被困"},
        follow=True)  # fmt: skip
    assert "紧急信息已报送至福州市12345热线中心" in text(r)
    report = UrgentReport.objects.get()
    assert as_user(client, p, "xm_admin").get(f"/incidents/reports/{report.pk}/").status_code == 404
    page = text(as_user(client, p, "gl_dispatcher").get(f"/incidents/reports/{report.pk}/"))
    assert "签收</button>" not in page
    c = as_user(client, p, "fz_admin")
    assert "签收</button>" in text(c.get(f"/incidents/reports/{report.pk}/"))
    r = c.post(f"/incidents/reports/{report.pk}/acknowledge/", {"note": "已阅"}, follow=True)
    assert "已签收" in text(r)
    report.refresh_from_db()
    assert report.at_center == p.units["prov"]
    r = as_user(client, p, "gl_dispatcher").post("/incidents/reports/raise/", {
        "what": "x", "place": "鼓东街道"}, follow=True)  # fmt: skip
    assert "请填写事件（2–200 字）" in text(r) and UrgentReport.objects.count() == 1
    assert as_user(client, p, "fz_housing_handler").get("/incidents/reports/").status_code == 404
    assert "鼓东街道内涝" in text(as_user(client, p, "prov_supervisor").get("/incidents/reports/"))


def test_the_staffing_page_is_for_center_staff(client, p):
    r = as_user(client, p, "fz_supervisor").get("/incidents/staffing/?day=2026-03-02")
    assert r.status_code == 200 and text(r).count("<tr>") == 49
    assert as_user(client, p, "fz_housing_handler").get("/incidents/staffing/").status_code == 404


def test_a_temporary_agent_has_only_their_own_page(client, p):
    incident = declare(p)
    approved(p, incident)
    agent, _ = temporary.enroll(by=p.users["fz_admin"], incident=incident, username="vol01",
                                full_name="志愿者甲")  # fmt: skip
    client.force_login(agent.user)
    assert client.get("/incidents/").status_code == 302
    page = text(client.get("/incidents/temporary/"))
    assert BODY in page and 'data-poll="10"' in page
    r = client.post("/incidents/temporary/", {"title": "停水", "content": "何时恢复",
                                              "citizen_phone": "13800000001",
                                              "region": "350102"}, follow=True)  # fmt: skip
    assert "等待中心审核受理" in text(r)
    assert BODY in text(client.get("/incidents/banner/"))
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert as_user(client, p, "fz_agent").get("/incidents/temporary/").status_code == 404


@pytest.mark.parametrize(
    ("username", "link"),
    [("fz_agent", "/incidents/"), ("fz_admin", "/incidents/reports/"),
     ("fz_supervisor", "/incidents/reports/"), ("fz_dispatcher", "/incidents/reports/")],
)  # fmt: skip
def test_nav_links_by_role(client, p, username, link):
    assert f'href="{link}"' in text(as_user(client, p, username).get("/"))


def test_urgent_reports_of_a_ticket_not_in_view_are_refused(client, p):
    r = as_user(client, p, "gl_dispatcher").post("/incidents/reports/raise/", {
        "what": "鼓东街道内涝", "place": "鼓东街道", "ticket": "NOPE"}, follow=True)  # fmt: skip
    assert "工单不存在" in text(r) and UrgentReport.objects.count() == 0
    assert urgent.province_list(p.users["prov_admin"]).count() == 0
