"""The demo's quality checker and last week's sample (`hotline demo`)."""

import datetime as dt

from hotline.quality import demo as quality_demo
from hotline.quality import sampling
from hotline.quality.models import Checker, RubricLine, Sample
from hotline.tickets import demo

NOW = dt.datetime(2026, 10, 14, 7, 30, tzinfo=dt.UTC)


def test_the_demo_appoints_a_checker_and_draws_last_week_once(db, client):
    demo.build(tickets=0, password="demo-pass-123")
    assert quality_demo.load(now=NOW) == 0  # no tickets: an empty sample, drawn all the same
    assert quality_demo.load(now=NOW) == 0
    sample = Sample.objects.get()
    assert (sample.center.code, sample.week) == ("350100-center", sampling.last_week(NOW))
    checker = Checker.objects.get(is_active=True)
    assert (checker.user.username, checker.center.code) == ("fz_reviewer", "350100-center")
    assert RubricLine.objects.filter(center=sample.center).exists()
    client.force_login(checker.user)
    assert 'href="/quality/"' in client.get("/").content.decode()
