"""Police partners and signed calls for the 110 linkage tests (tests/exchange/test_police*)."""

import json

from hotline.exchange import police, signing
from hotline.orgs.models import User
from hotline.orgs.services import issue_token

NAMES = {"fz": "福州市公安局110指挥中心", "xm": "厦门市公安局110指挥中心"}


def police_partner(province, center="fz", code=None):
    """A police partner connected at `center`, its service account holding no role."""
    code = code or f"{center}police"
    user = User.objects.create(username=f"{code}_bot", full_name=f"{NAMES[center]}接口")
    return police.connect_police(
        code=code, name=NAMES[center], center=province.units[center], service_user=user
    )


def signed(client, system, path, payload=None, *, secret=None, now=None, method=None):
    """A request signed as `system`: POST with a JSON body, or GET when there is none."""
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    head = signing.headers(system.code, secret or system.secret, body, now=now)
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()}
    if (method or ("get" if payload is None else "post")) == "get":
        return client.get(path, **extra)
    return client.post(path, body, content_type="application/json", **extra)


def as_user(client, user, path, payload=None):
    """A request with the user's API token: POST with a JSON body, or GET."""
    _, key = issue_token(user=user, name="police-test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if payload is None:
        return client.get(path, **auth)
    return client.post(path, json.dumps(payload), content_type="application/json", **auth)


def hand_over(client, user, ticket, partner, summary="当事人扬言报复，涉嫌违法，移交公安处置。"):
    return as_user(
        client,
        user,
        f"/api/v1/exchange/police/tickets/{ticket.number}/handover",
        {"partner": partner.code, "summary": summary, "contact": "值班民警 0591-110"},
    )


def report(client, partner, reference, report_id, kind, at, note="", **extra):
    return signed(
        client,
        partner,
        f"/api/v1/exchange/police/handovers/{reference}/reports",
        {"report_id": report_id, "kind": kind, "at": at, "note": note, **extra},
    )
