"""The quality admin and pages stay in the checker's center region: a city's administrator
sees and offers only their centers' checkers, plans and rubric lines; a checker who moved
away from the center no longer opens its items."""

import pytest
from django.contrib.auth.models import Permission

from hotline.orgs.models import Membership, Role, User
from hotline.quality import access, sampling
from hotline.quality import services as quality
from hotline.quality.models import Checker, RubricLine, SampleItem

from .conftest import AFTER, WEEK, frozen


@pytest.fixture
def admins(province, center):
    xm = province.units["xm"]
    quality.ensure_rubric(xm)
    made = {}
    for name, unit in [("fz_admin", "fz"), ("xm_admin", "xm")]:
        user = User.objects.create(username=name, is_staff=True)
        Membership.objects.create(user=user, unit=province.units[unit], role=Role.ADMIN)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="quality"))
        made[name] = user
    return made


@pytest.mark.parametrize(
    ("who", "centers"), [("fz_admin", {"fz"}), ("xm_admin", {"xm"})], ids=["fz", "xm"]
)
def test_the_admin_lists_only_the_administrators_centers(client, admins, who, centers):
    client.force_login(admins[who])

    page = client.get("/admin/quality/rubricline/")
    checkers = client.get("/admin/quality/checker/").content.decode()

    assert page.status_code == 200
    shown = {line.center.code for line in page.context["cl"].result_list}
    assert shown == centers
    assert ("fz_reviewer" in checkers) is (who == "fz_admin")


def test_the_admin_form_offers_only_the_administrators_centers(client, admins):
    client.force_login(admins["xm_admin"])

    form = client.get("/admin/quality/checker/add/").context["adminform"].form

    assert {u.code for u in form.fields["center"].queryset} == {"xm"}
    assert "fz_reviewer" not in {u.username for u in form.fields["user"].queryset}


def test_another_centers_rubric_line_is_not_found_in_the_admin(client, admins):
    line = RubricLine.objects.filter(center__code="fz").first()
    client.force_login(admins["xm_admin"])

    r = client.post(f"/admin/quality/rubricline/{line.pk}/change/", {"label": "改了"})

    assert r.status_code in {302, 404}
    line.refresh_from_db()
    assert line.label != "改了"


def test_a_checker_who_left_the_center_no_longer_sees_its_items(province, center, week_tickets):
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
    reviewer = province.users["fz_reviewer"]
    assert access.visible_items(reviewer).count() == SampleItem.objects.count() > 0

    Membership.objects.filter(user=reviewer, unit=center).update(is_active=False)
    reviewer = User.objects.get(pk=reviewer.pk)  # memberships are cached on the user object

    assert Checker.objects.get(user=reviewer, center=center).is_active is True
    assert access.checker_centers(reviewer) == []
    assert access.visible_items(reviewer).count() == 0
