"""The admin: a platform's secret is shown once, refusals and event errors are listed."""

from hotline.calls.models import CallEvent, CallPlatform, RejectedRequest

from .conftest import event, offered


def test_a_new_platform_gets_a_secret_shown_once(client, province):
    client.force_login(province.users["admin"])

    response = client.post(
        "/admin/calls/callplatform/add/",
        {
            "code": "xmcti",
            "name": "厦门平台",
            "center": province.units["xm"].pk,
            "dial_kind": "log",
            "dial_url": "",
            "is_active": "on",
        },
        follow=True,
    )

    platform = CallPlatform.objects.get(code="xmcti")
    assert len(platform.secret) >= 32
    assert platform.secret in response.content.decode()
    page = client.get(f"/admin/calls/callplatform/{platform.pk}/change/").content.decode()
    assert platform.secret not in page


def test_refusals_and_event_errors_are_listed(client, province, post):
    post(None, body=b"{bad")
    # Ids with a hyphen: never part of the page's random CSRF token (a bare "q1" once was).
    post([offered("q", "evt-ok-1", 0), event("q", "evt-bad-2", "ringing", 3, agent="7777")])
    client.force_login(province.users["admin"])

    refusals = client.get("/admin/calls/rejectedrequest/").content.decode()
    errors = client.get("/admin/calls/callevent/?has_error=yes").content.decode()

    assert RejectedRequest.objects.get().reason == "malformed"
    assert "格式错误" in refusals
    assert "evt-bad-2" in errors and "evt-ok-1" not in errors
    assert CallEvent.objects.filter(error="unknown_agent").count() == 1
