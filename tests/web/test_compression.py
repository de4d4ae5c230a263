"""Pages are sent compressed to a browser that accepts it; streams and downloads are not."""

import gzip

import pytest

from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import HX, as_user

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}


def test_a_queue_page_comes_compressed_and_unpacks_to_the_same_page(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    c = as_user(client, province, "fz_dispatcher")

    packed = c.get("/dispatch/", **GZIP)
    plain = c.get("/dispatch/")

    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content).decode()
    assert t.number in page
    assert len(packed.content) < len(plain.content) / 2
    assert "Content-Encoding" not in plain


def test_an_htmx_fragment_comes_compressed_too(client, province):
    # A queue's fragment, not the few hundred bytes of /nav/: Django sends a short answer as it
    # is when gzip plus its random padding (against BREACH) would not make it shorter.
    tickets = [ticket_at(province, Status.PENDING_DISPATCH) for _ in range(3)]
    c = as_user(client, province, "fz_dispatcher")

    r = c.get("/dispatch/", **GZIP, **HX)

    assert r.status_code == 200
    assert r["Content-Encoding"] == "gzip"
    fragment = gzip.decompress(r.content).decode()
    assert "<html" not in fragment
    assert all(t.number in fragment for t in tickets)


def test_a_download_and_json_are_left_as_they_are(client, province):
    ticket_at(province, Status.DISPATCHED)
    c = as_user(client, province, "gl_housing_handler")

    download = c.get("/inbox/export.xlsx", **GZIP)
    c = as_user(client, province, "fz_supervisor")
    data = c.get("/api/v1/dashboard/today?region=350100", **GZIP)

    assert download.status_code == 200
    assert "Content-Encoding" not in download
    assert data.status_code == 200
    assert "Content-Encoding" not in data
