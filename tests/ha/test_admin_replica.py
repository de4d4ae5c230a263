"""The admin's front page says whether a read replica is configured (its lag on a cluster:
tests/ha/test_replica_reads.py)."""

import pytest


@pytest.mark.django_db
def test_the_admin_front_page_says_every_read_goes_to_the_primary_without_a_replica(
    admin_client,
):
    # when
    page = admin_client.get("/admin/")

    # then
    assert page.status_code == 200
    text = page.content.decode()
    assert "只读副本（报表、大屏、分析、导出）" in text
    assert "未配置只读副本：全部读取走主库。" in text


@pytest.mark.django_db
def test_the_admin_front_page_is_not_shown_to_a_signed_out_visitor(client):
    page = client.get("/admin/")
    assert page.status_code == 302
    assert "只读副本" not in page.content.decode()
