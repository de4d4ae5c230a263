"""The demo's 质量抽查: 福州 center's reviewer is its quality checker, with the default rubric
and last week's sample drawn (the weekly job's own draw), so the checker has items to score."""

from hotline.orgs.models import Unit, User

from . import sampling, services
from .models import Sample

CENTER, CHECKER = "350100-center", "fz_reviewer"


def load(now=None) -> int:
    """Appoint, set the rubric and draw last week's sample once; the items it holds."""
    center = Unit.objects.get(code=CENTER)
    services.appoint_checker(center=center, user=User.objects.get(username=CHECKER))
    services.ensure_rubric(center)
    week = sampling.last_week(now)
    sample = Sample.objects.filter(center=center, week=week).first()
    if sample is None:
        sample = sampling.draw(center=center, week=week, now=now)
    return sample.items.count()
