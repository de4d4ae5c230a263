"""The weekly sample, drawn by `hotline worker` (registered in supervision/schedule.py)."""

import logging

from django_tasks import task

from hotline.errors import HotlineError

from . import sampling
from .models import Plan, Sample

log = logging.getLogger("hotline.quality")


@task()
def weekly_samples() -> dict:
    """Draw last week's sample of every center whose plan says weekly; idempotent per week."""
    week = sampling.last_week()
    drawn = 0
    for plan in Plan.objects.filter(weekly=True, center__is_active=True).select_related("center"):
        if Sample.objects.filter(center=plan.center, week=week).exists():
            continue
        try:
            sampling.draw(center=plan.center, week=week)
        except HotlineError as exc:  # e.g. no checker yet, or another worker drew it first
            log.warning("sample of %s %s not drawn: %s", plan.center.code, week, exc.message_en)
            continue
        drawn += 1
    return {"week": str(week), "drawn": drawn}
