"""The 110 linkage on the pages: the hand-over form and steps on the ticket page, and the
center's list with overdue acknowledgements first."""

from datetime import timedelta

from django.utils import timezone

from hotline.exchange import police_alerts
from hotline.exchange.models import PoliceLink
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .police_support import police_partner, report


def test_the_ticket_page_hands_over_and_shows_each_step(client, province):
    fz_police = police_partner(province, "fz")
    ticket = ticket_at(province, Status.IN_PROGRESS)
    client.force_login(province.users["fz_dispatcher"])

    posted = client.post(
        f"/exchange/police/t/{ticket.number}/handover/",
        {"partner": fz_police.code, "summary": "扬言持刀报复物业人员，请公安介入。"},
    )
    ref = PoliceLink.objects.get().reference
    now = timezone.now().isoformat()
    report(client, fz_police, ref, "R1", "acknowledged", now, officer="李警官")
    report(client, fz_police, ref, "R2", "concluded", now, note="已约谈当事人并训诫")
    page = client.get(f"/t/{ticket.number}/").content.decode()

    assert posted.status_code == 302
    assert posted.url == f"/t/{ticket.number}/#police"
    assert 'data-testid="police-card"' in page
    assert "扬言持刀报复物业人员，请公安介入。" in page
    assert 'data-step="acknowledged"' in page and "李警官" in page
    assert 'data-step="concluded"' in page and "已约谈当事人并训诫" in page
    assert 'data-state="concluded"' in page
    # and the history of the ticket names each step
    assert page.count('data-action="police_') == 3


def test_a_unit_handler_sees_the_steps_but_no_hand_over_form(client, province):
    fz_police = police_partner(province, "fz")
    ticket = ticket_at(province, Status.IN_PROGRESS)
    client.force_login(province.users["fz_dispatcher"])
    client.post(f"/exchange/police/t/{ticket.number}/handover/",
                {"partner": fz_police.code, "summary": "涉嫌违法，移交公安。"})  # fmt: skip
    client.force_login(province.users["gl_housing_handler"])

    page = client.get(f"/t/{ticket.number}/").content.decode()
    refused = client.post(f"/exchange/police/t/{ticket.number}/handover/",
                          {"partner": fz_police.code, "summary": "再次移交"}, follow=True)  # fmt: skip

    assert 'data-testid="police-handover"' in page
    assert "police-partner" not in page
    assert (
        "移交未完成：只有责任中心的话务员、派单员或效能督查可以移交公安" in refused.content.decode()
    )
    assert PoliceLink.objects.count() == 1


def test_another_city_cannot_hand_over_a_ticket_it_cannot_see(client, province):
    fz_police = police_partner(province, "fz")
    ticket = ticket_at(province, Status.IN_PROGRESS)
    client.force_login(province.users["xm_dispatcher"])

    response = client.post(f"/exchange/police/t/{ticket.number}/handover/",
                           {"partner": fz_police.code, "summary": "移交"})  # fmt: skip

    assert response.status_code == 404
    assert PoliceLink.objects.count() == 0


def test_the_center_sees_overdue_acknowledgements_first(client, province):
    fz_police = police_partner(province, "fz")
    late = ticket_at(province, Status.IN_PROGRESS, title="超时未签收的移交")
    fresh = ticket_at(province, Status.IN_PROGRESS, title="刚移交的")
    client.force_login(province.users["fz_dispatcher"])
    for t in (late, fresh):
        client.post(f"/exchange/police/t/{t.number}/handover/",
                    {"partner": fz_police.code, "summary": "涉嫌违法，移交公安。"})  # fmt: skip
    PoliceLink.objects.filter(ticket=late).update(
        handed_at=timezone.now() - timedelta(minutes=45),
        ack_due_at=timezone.now() - timedelta(minutes=15),
    )
    police_alerts.warn_unacknowledged()
    client.force_login(province.users["fz_supervisor"])

    page = client.get("/exchange/police/").content.decode()
    xm = client.get("/exchange/police/", HTTP_HOST="testserver")

    assert "超时未签收：<strong>1</strong> 件" in page
    assert page.index("超时未签收的移交") < page.index("刚移交的")
    assert xm.status_code == 200
    client.force_login(province.users["xm_dispatcher"])
    assert "超时未签收的移交" not in client.get("/exchange/police/").content.decode()
