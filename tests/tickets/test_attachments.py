"""附件: files added to a ticket's record by the people working on it, checked by type, content
and size, kept under a random name, recorded in the hash chain, and read back only within the
reader's scope (404 outside it) — lifecycle, API and ticket page."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Attachment, Status, TicketEvent
from tests.api.helpers import assert_error
from tests.web.helpers import as_user

from .factory import ticket_at

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name="现场照片.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_a_handler_attaches_a_photo(province, media):
    t = ticket_at(province, Status.IN_PROGRESS)
    a = lifecycle.attach(ticket=t, by=province.users["gl_housing_handler"], upload=upload())
    assert (a.name, a.size, a.content_type) == ("现场照片.png", len(PNG), "image/png")
    assert a.sha256 == hashlib.sha256(PNG).hexdigest()
    assert a.file.name.startswith("attachments/") and "现场" not in a.file.name
    assert (media / a.file.name).read_bytes() == PNG
    event = t.events.order_by("seq").last()
    assert (event.action, event.to_status) == ("attach", Status.IN_PROGRESS)
    assert event.data == {"name": "现场照片.png", "size": len(PNG), "sha256": a.sha256}
    t.refresh_from_db()
    assert t.status == Status.IN_PROGRESS and history.verify(t).ok


def test_the_center_attaches_too_and_a_folder_in_the_name_is_dropped(province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    a = lifecycle.attach(
        ticket=t, by=province.users["fz_agent"], upload=upload("C:\\Users\\x\\来电记录.pdf", PDF)
    )
    assert a.name == "来电记录.pdf" and a.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("脚本.exe", b"MZ\x90\x00", "type"),
        ("无扩展名", PNG, "type"),
        ("伪装.png", b"GIF89a" + b"\x00" * 10, "content"),
        ("空.pdf", b"", "empty"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(province, media, name, data, why):
    t = ticket_at(province, Status.IN_PROGRESS)
    events = TicketEvent.objects.count()
    with pytest.raises(InvalidInput) as err:
        lifecycle.attach(
            ticket=t, by=province.users["gl_housing_handler"], upload=upload(name, data)
        )
    assert err.value.field == "file" and err.value.message_zh and err.value.message_en
    assert not Attachment.objects.exists() and TicketEvent.objects.count() == events
    assert not any(p.is_file() for p in media.rglob("*"))


def test_too_large_is_refused(province, settings):
    settings.ATTACHMENT_MAX_BYTES = 32
    t = ticket_at(province, Status.IN_PROGRESS)
    with pytest.raises(InvalidInput) as err:
        lifecycle.attach(ticket=t, by=province.users["gl_housing_handler"], upload=upload())
    assert "MB" in err.value.message_zh


def test_who_may_attach(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    for name in ("fz_supervisor", "fz_analyst", "tj_housing_handler", "fz_housing_handler"):
        with pytest.raises(Forbidden):
            lifecycle.attach(ticket=t, by=province.users[name], upload=upload())
    merged = ticket_at(province, Status.PENDING_DISPATCH, citizen_phone="13800000009")
    lifecycle.merge(ticket=merged, into=t, by=province.users["fz_dispatcher"])
    with pytest.raises(IllegalTransition):
        lifecycle.attach(ticket=merged, by=province.users["fz_agent"], upload=upload())
    assert not Attachment.objects.exists()


# ---- API ------------------------------------------------------------------------------------


def test_api_upload_list_and_download(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    handler = as_user(client, province, "gl_housing_handler")
    r = handler.post(f"/api/v1/tickets/{t.number}/attachments", {"file": upload()})
    assert r.status_code == 200, r.content
    [item] = r.json()["attachments"]
    assert (item["name"], item["size"]) == ("现场照片.png", len(PNG))
    r = handler.get(item["url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert "attachment" in r["Content-Disposition"]
    # The center sees it; another county's unit and another city do not even see the ticket.
    assert as_user(client, province, "fz_reviewer").get(item["url"]).status_code == 200
    for name in ("tj_housing_handler", "xm_housing_handler"):
        assert_error(as_user(client, province, name).get(item["url"]), 404)
    assert_error(as_user(client, province, "fz_reviewer").get(item["url"] + "9"), 404)


def test_api_refusals(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    path = f"/api/v1/tickets/{t.number}/attachments"
    bad = as_user(client, province, "gl_housing_handler").post(
        path, {"file": upload("a.exe", b"MZ")}
    )
    assert_error(bad, 400, field="file")
    assert_error(as_user(client, province, "fz_supervisor").post(path, {"file": upload()}), 403)
    assert_error(
        as_user(client, province, "tj_housing_handler").post(path, {"file": upload()}), 404
    )
    assert not Attachment.objects.exists()


# ---- ticket page ----------------------------------------------------------------------------


def test_page_upload_and_download(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    handler = as_user(client, province, "gl_housing_handler")
    page = handler.get(f"/t/{t.number}/").content.decode()
    assert "暂无附件" in page and 'name="file"' in page
    r = handler.post(f"/t/{t.number}/attach/", {"file": upload()})
    page = r.content.decode()
    assert "已上传附件" in page and "现场照片.png" in page
    a = Attachment.objects.get()
    r = handler.get(f"/t/{t.number}/files/{a.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert (
        as_user(client, province, "tj_housing_handler")
        .get(f"/t/{t.number}/files/{a.pk}/")
        .status_code
        == 404
    )
    supervisor = as_user(client, province, "fz_supervisor").get(f"/t/{t.number}/").content.decode()
    assert "现场照片.png" in supervisor and 'name="file"' not in supervisor  # reads, no upload
    handler = as_user(client, province, "gl_housing_handler")  # the client was logged in anew
    r = handler.post(f"/t/{t.number}/attach/", {"file": upload("x.exe", b"MZ")})
    assert r.status_code == 400 and "只能上传" in r.content.decode()
