"""Photos in a reply kept offline (issue 19): taken on the phone while the network is down,
kept in IndexedDB with the draft under the user's id, put back after a reload, sent with the
reply once; gone from the device when the user signs out."""

import hashlib
from pathlib import Path

import pytest

import hotline
from hotline.tickets.models import Attachment, Status
from tests.tickets.factory import ticket_at

from .journeys import record, settled, ticket_page
from .test_offline_drafts import BODY, drafts, handler_on, replies_posted

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = (Path(hotline.__file__).parent / "web/static/web/icon-192.png").read_bytes()
KEPT = """() => new Promise(resolve => {
  const open = indexedDB.open("hotline-drafts", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("files");
  open.onsuccess = () => {
    const all = open.result.transaction("files").objectStore("files").getAll();
    all.onsuccess = () => resolve(all.result.flat().map(i => i.file.name + ":" + i.file.size));
  };
})"""
CHOSEN = "() => Array.from(document.getElementById('reply-photo').files).map(f => f.name)"


def take_photo(page, name="现场.png"):
    page.set_input_files("#reply-photo", {"name": name, "mimeType": "image/png", "buffer": PHOTO})


def kept(page) -> list[str]:
    return page.evaluate(KEPT)


def wait_kept(page, expected):
    page.wait_for_function(f"async () => JSON.stringify(await ({KEPT})()) === '{expected}'")


def test_a_photo_taken_offline_survives_a_reload_and_goes_with_the_reply_once(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    sent = replies_posted(handler)

    handler.context.set_offline(True)
    handler.fill("#reply-body", BODY)
    take_photo(handler)
    wait_kept(handler, f'["现场.png:{len(PHOTO)}"]')
    handler.context.set_offline(False)
    handler.reload()
    settled(handler)
    handler.get_by_text("及 1 张照片").wait_for()
    assert handler.evaluate(CHOSEN) == ["现场.png"]
    assert handler.input_value("#reply-body") == BODY
    assert sent == []

    handler.get_by_role("button", name="提交答复").tap()
    handler.get_by_text("已答复。").wait_for()
    settled(handler)
    assert len(sent) == 1
    (photo,) = Attachment.objects.filter(ticket=t)
    assert (photo.name, photo.sha256) == ("现场.png", hashlib.sha256(PHOTO).hexdigest())
    assert record(t.number).status == Status.REPLIED
    wait_kept(handler, "[]")
    assert drafts(handler) == {}


def test_a_reply_with_a_photo_held_offline_is_sent_with_it_when_back_online(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    sent = replies_posted(handler)

    handler.context.set_offline(True)
    take_photo(handler, "积水.png")
    handler.fill("#reply-body", BODY)
    handler.get_by_role("button", name="提交答复").tap()
    assert "草稿已保存在本机" in handler.get_by_test_id("draft-note").inner_text()
    assert sent == []
    handler.context.set_offline(False)
    handler.get_by_text("已答复。").wait_for()
    settled(handler)

    assert len(sent) == 1
    assert list(Attachment.objects.filter(ticket=t).values_list("name", flat=True)) == ["积水.png"]
    wait_kept(handler, "[]")


def test_signing_out_leaves_no_photo_on_the_device(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    take_photo(handler)
    wait_kept(handler, f'["现场.png:{len(PHOTO)}"]')

    handler.get_by_role("button", name="退出").tap()
    handler.wait_for_url("**/login/")
    settled(handler)

    wait_kept(handler, "[]")
    ticket_page(handler, t.number)  # signed out: the login page, which keeps nothing either
    assert kept(handler) == []
