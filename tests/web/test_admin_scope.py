import pytest
from django.contrib.auth.models import Permission

from hotline.catalog.models import TimeLimitPolicy
from hotline.orgs.models import Membership, Role, User

from .helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def gl_admin(province):
    """A staff administrator of 鼓楼区 with every model permission, but no superuser."""
    user = User.objects.create(username="gl_admin", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["orgs", "catalog"])
    )
    Membership.objects.create(user=user, unit=province.units["gl"], role=Role.ADMIN)
    return user


def test_staff_see_the_units_and_users_of_their_region_only(client, province, gl_admin):
    client.force_login(gl_admin)
    units = text(client.get("/admin/orgs/unit/"))
    assert "鼓楼区住建局" in units
    assert "台江区住建局" not in units
    assert "福州市住建局" not in units
    users = text(client.get("/admin/orgs/user/"))
    assert "gl_housing_handler" in users
    assert "tj_housing_handler" not in users
    regions = text(client.get("/admin/orgs/region/"))
    assert "鼓东街道" in regions
    assert "台江区" not in regions


def test_staff_cannot_open_a_unit_of_another_region(client, province, gl_admin):
    client.force_login(gl_admin)
    tj = province.units["tj_housing"]
    response = client.get(f"/admin/orgs/unit/{tj.pk}/change/", follow=True)
    assert "台江区住建局" not in text(response).split("<title>")[1].split("</title>")[0]
    assert "不存在" in text(response)
    ok = client.get(f"/admin/orgs/unit/{province.units['gl_housing'].pk}/change/")
    assert ok.status_code == 200


def test_staff_without_an_admin_membership_see_nothing(client, province):
    user = User.objects.create(username="plain_staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="orgs"))
    client.force_login(user)
    assert "鼓楼区住建局" not in text(client.get("/admin/orgs/unit/"))


def test_categories_and_calendar_are_read_only_for_staff(client, province, gl_admin):
    client.force_login(gl_admin)
    assert client.get("/admin/catalog/category/add/").status_code == 403
    assert client.get("/admin/catalog/calendarday/add/").status_code == 403
    assert client.get("/admin/catalog/category/").status_code == 200


def test_staff_read_province_policies_but_change_only_their_regions(client, province, gl_admin):
    default = TimeLimitPolicy.objects.filter(region__isnull=True).first()
    client.force_login(gl_admin)
    page = client.get(f"/admin/catalog/timelimitpolicy/{default.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in text(page)  # read-only view
    assert client.post(f"/admin/catalog/timelimitpolicy/{default.pk}/delete/").status_code == 403


def test_the_superuser_sees_everything(client, province):
    client.force_login(province.users["admin"])
    units = text(client.get("/admin/orgs/unit/"))
    assert "台江区住建局" in units and "鼓楼区住建局" in units
