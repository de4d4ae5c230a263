"""The citizen portal: phone code, limits, content filter, registration, follow-up."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.crypto import phone_q
from hotline.portal.models import PhoneCode, RateHit
from hotline.screening.models import RiskAssessment
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Channel, Status, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13900001111"
CONTENT = "鼓楼区鼓东街道某小区门口的路灯坏了一个多月，晚上很黑，老人出行不便，请尽快维修。"


def form(**over):
    data = {
        "action": "submit",
        "name": "李四",
        "phone": PHONE,
        "appeal_type": "help",
        "title": "小区门口路灯不亮",
        "content": CONTENT,
        "region_1": "350100",
        "region_2": "350102",
        "address": "鼓东街道某小区门口",
    }
    data.update(over)
    return data


def send_code(client, phone=PHONE, **extra):
    return client.post("/portal/submit/", {"action": "code", "phone": phone}, **extra)


def submit(client, sms, **over):
    send_code(client, over.get("phone", PHONE))
    code = sms.last_code(over.get("phone", PHONE))
    return client.post("/portal/submit/", form(code=code, **over))  # photos: a list of files


def test_pages_are_public_mobile_and_chinese(client, province):
    for url in ("/portal/", "/portal/submit/", "/portal/follow/"):
        r = client.get(url)
        assert r.status_code == 200
        body = r.content.decode()
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
        assert '<html lang="zh-hans">' in body
    assert "csrfmiddlewaretoken" in client.get("/portal/submit/").content.decode()


def test_forms_need_the_csrf_token(province):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    r = strict.post("/portal/submit/", {"action": "code", "phone": PHONE})
    assert r.status_code == 403
    assert PhoneCode.objects.count() == 0


def test_code_is_sent_by_sms_and_stored_hashed(client, province, sms):
    r = send_code(client)
    assert r.status_code == 200
    assert "验证码已发送" in r.content.decode()
    code = sms.last_code(PHONE)
    row = PhoneCode.objects.get(phone_q(PHONE, "phone"))
    assert row.phone == PHONE
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash
    assert len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=10)


def test_a_verified_demand_is_registered_on_the_web_channel(client, province, sms, categories):
    r = submit(client, sms, confidential="on", category="01")
    assert r.status_code == 200
    t = Ticket.objects.get()
    assert t.number in r.content.decode()
    assert t.channel == Channel.WEB
    assert t.status == Status.REGISTERED
    assert t.center == province.units["gl"]  # the center of the chosen county
    assert t.region == province.regions["350102"]
    assert (t.citizen_name, t.citizen_phone, t.confidential) == ("李四", PHONE, True)
    assert t.category.code == "01"
    assert t.registered_by.username == "system-portal-gl"
    assert t.registered_by.has_usable_password() is False
    assert history.verify(t).ok is True
    assert PhoneCode.objects.get().used_at is not None


def test_without_a_region_the_demand_goes_to_the_top_center(client, province, sms):
    submit(client, sms, region_1="", region_2="")
    assert Ticket.objects.get().center == province.units["prov"]


@pytest.mark.parametrize(
    "code_of",
    [lambda c: "000000" if c != "000000" else "111111", lambda c: ""],
    ids=["wrong", "empty"],
)
def test_wrong_code_registers_nothing(client, province, sms, code_of):
    send_code(client)
    r = client.post("/portal/submit/", form(code=code_of(sms.last_code(PHONE))))
    assert r.status_code == 400
    assert "验证码不正确或已失效" in r.content.decode()
    assert Ticket.objects.count() == 0


def test_expired_code_is_refused(client, province, sms):
    send_code(client)
    code = sms.last_code(PHONE)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = client.post("/portal/submit/", form(code=code))
    assert r.status_code == 400
    assert "验证码不正确或已失效" in r.content.decode()
    assert Ticket.objects.count() == 0


def test_a_code_dies_after_five_wrong_tries(client, province, sms):
    send_code(client)
    code = sms.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post("/portal/submit/", form(code=wrong))
    assert PhoneCode.objects.get().attempts == 5
    r = client.post("/portal/submit/", form(code=code))
    assert r.status_code == 400
    assert Ticket.objects.count() == 0


def test_a_code_works_once(client, province, sms):
    send_code(client)
    code = sms.last_code(PHONE)
    assert client.post("/portal/submit/", form(code=code)).status_code == 200
    r = client.post("/portal/submit/", form(code=code))
    assert r.status_code == 400
    assert Ticket.objects.count() == 1


def test_bad_phone_names_the_field(client, province, sms):
    r = send_code(client, phone="12345")
    assert r.status_code == 400
    assert "请填写正确的11位手机号码" in r.content.decode()
    assert 'aria-invalid="true"' in r.content.decode()
    assert PhoneCode.objects.count() == 0 and sms.messages == []


def test_second_code_within_a_minute_hits_the_limit(client, province, sms):
    assert send_code(client).status_code == 200
    r = send_code(client)
    assert r.status_code == 429
    assert "操作过于频繁，请1分钟后再试" in r.content.decode()
    assert PhoneCode.objects.count() == 1
    assert len(sms.messages) == 1


def test_codes_per_address_are_limited(client, province, sms, settings):
    settings.HOTLINE_PORTAL_LIMITS = {"code_ip": (3, 3600)}
    for i in range(3):
        assert send_code(client, phone=f"1390000000{i}").status_code == 200
    r = send_code(client, phone="13900000009")
    assert r.status_code == 429
    assert "1小时后再试" in r.content.decode()
    # Another address is not affected.
    assert send_code(client, phone="13900000009", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_rate_hits_keep_no_phone_in_clear(client, province, sms):
    send_code(client)
    keys = list(RateHit.objects.values_list("key", flat=True))
    assert keys and all(PHONE not in k and "127.0.0.1" not in k for k in keys)


def test_submissions_per_phone_are_limited(client, province, sms, settings):
    settings.HOTLINE_PORTAL_LIMITS = {"submit_phone": (1, 86400), "code_phone_minute": (9, 60)}
    assert submit(client, sms).status_code == 200
    r = submit(client, sms, title="另一件事")
    assert r.status_code == 429
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "title,content",
    [
        ("物业太差", "小区物业就是一群傻逼，电梯坏了一个月都不修，请政府管管。"),
        ("物业太差", "小区物业就是一群傻 *逼，电梯坏了一个月都不修，请政府管管。"),
        ("反映情况", "我们要推翻政府，大家一起行动起来，时间地点另行通知。"),
    ],
    ids=["abusive", "abusive-evasion", "illegal"],
)
def test_harmful_content_is_refused_politely(client, province, sms, title, content):
    send_code(client)
    code = sms.last_code(PHONE)
    r = client.post("/portal/submit/", form(code=code, title=title, content=content))
    assert r.status_code == 400
    assert "不文明用语或违法有害信息" in r.content.decode()
    assert Ticket.objects.count() == 0
    # Refused before the code is spent: the citizen can fix the text and send again.
    assert PhoneCode.objects.get().used_at is None


def test_risky_but_legitimate_content_is_accepted_and_flagged(client, province, sms):
    content = "拖欠我三个月工资不给，我实在没办法了，再不解决我就从公司楼顶跳楼。"
    r = submit(client, sms, title="欠薪", content=content)
    assert r.status_code == 200
    t = Ticket.objects.get()
    assert t.risk_level == "red"
    assert t.urgency == "critical"
    assert RiskAssessment.objects.get(ticket=t).level == "red"


def follow(client, number, phone=PHONE, **extra):
    return client.post("/portal/follow/", {"number": number, "phone": phone}, **extra)


def registered(client, sms):
    submit(client, sms)
    return Ticket.objects.get()


def test_follow_shows_status_and_public_steps(client, province, sms):
    t = registered(client, sms)
    r = follow(client, t.number)
    assert r.status_code == 200
    body = r.content.decode()
    assert "已提交，等待热线中心受理" in body
    assert "提交诉求" in body
    assert CONTENT in body


def test_wrong_phone_and_wrong_number_look_the_same(client, province, sms):
    t = registered(client, sms)
    other = Ticket.objects.exclude(pk=t.pk)
    assert not other.exists()
    wrong_phone = follow(client, t.number, phone="13700000000")
    wrong_number = follow(client, "35010220990101000001")
    assert wrong_phone.status_code == wrong_number.status_code == 404

    def page(r):  # the masked CSRF token differs per response; the number was typed in
        body = re.sub(
            r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", r.content.decode()
        )
        return body.replace(t.number, "N").replace("35010220990101000001", "N")

    assert page(wrong_phone) == page(wrong_number)
    assert t.title not in wrong_phone.content.decode()


def test_guessing_numbers_hits_the_limit(client, province, sms, settings):
    settings.HOTLINE_PORTAL_LIMITS = {"follow_miss_ip": (3, 3600)}
    t = registered(client, sms)
    for i in range(3):
        assert follow(client, f"3501022099010100000{i}").status_code == 404
    r = follow(client, t.number)  # even the right pair now waits
    assert r.status_code == 429
    assert "操作过于频繁" in r.content.decode()


def test_reply_is_hidden_until_reviewed_and_internal_work_never_shown(client, province, sms):
    u, p = province.users, province
    t = registered(client, sms)
    t = lifecycle.accept(ticket=t, by=u["fz_agent"], note="内部备注：先核实")
    t = lifecycle.dispatch(ticket=t, by=u["fz_dispatcher"], to_unit=p.units["gl_housing"])
    t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
    reply = "您反映的路灯问题已安排维修，现已恢复照明，感谢您的监督。"
    t = lifecycle.reply(ticket=t, by=u["gl_housing_handler"], body=reply)

    before = follow(client, t.number).content.decode()
    assert reply not in before
    assert "承办单位已答复，热线中心审核中" in before
    assert "尚无答复" in before

    t = lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"], note="审核意见：内部")
    after = follow(client, t.number).content.decode()
    assert reply in after
    assert "已答复，等待回访" in after
    for secret in ("内部备注", "审核意见", "鼓楼区住建局", "gl_housing_handler", "fz_reviewer",
                   "system-portal"):  # fmt: skip
        assert secret not in after
    assert "转交承办单位" in after and "答复审核通过" in after


def test_a_reply_sent_back_by_review_never_reaches_the_citizen(client, province, sms):
    u, p = province.users, province
    t = registered(client, sms)
    t = lifecycle.accept(ticket=t, by=u["fz_agent"])
    t = lifecycle.dispatch(ticket=t, by=u["fz_dispatcher"], to_unit=p.units["gl_housing"])
    t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
    bad = "已收到您的来信，我们会研究处理，请耐心等待后续安排。"
    t = lifecycle.reply(ticket=t, by=u["gl_housing_handler"], body=bad)
    t = lifecycle.reject_reply(ticket=t, by=u["fz_reviewer"], reason="答复没有实质内容")
    body = follow(client, t.number).content.decode()
    assert bad not in body
    assert "答复没有实质内容" not in body
    assert "承办单位正在办理" in body


# ---- photos ---------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def photo(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_photos_go_with_the_demand(client, province, sms, media):
    r = submit(client, sms, photos=[photo("路灯.png", PNG), photo("夜间.jpg", JPG)])
    assert r.status_code == 200
    t = Ticket.objects.get()
    assert sorted(t.attachments.values_list("name", flat=True)) == ["夜间.jpg", "路灯.png"]
    assert [e.action for e in t.events.order_by("seq")][-2:] == ["attach", "attach"]
    assert history.verify(t).ok is True


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([("说明.pdf", b"%PDF-1.4")], "只能上传 jpg 或 png 照片"),
        ([("伪装.png", b"GIF89a")], "文件内容与扩展名不符"),
        ([(f"{i}.png", PNG) for i in range(4)], "最多上传3张照片"),
    ],
    ids=["not-a-photo", "wrong-content", "too-many"],
)
def test_bad_photos_register_nothing_and_keep_the_code(
    client, province, sms, media, photos, message
):
    send_code(client)
    code = sms.last_code(PHONE)
    files = [photo(n, d) for n, d in photos]
    r = client.post("/portal/submit/", {**form(code=code), "photos": files})
    assert r.status_code == 400 and message in r.content.decode()
    assert Ticket.objects.count() == 0 and PhoneCode.objects.get().used_at is None
    assert not any(p.is_file() for p in media.rglob("*"))
