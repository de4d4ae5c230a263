"""Routing's periodic jobs, run by `hotline worker` (collected by supervision.schedule from every
installed app's `jobs.JOBS`)."""

from hotline.supervision.schedule import Periodic

JOBS = [
    # Once a week: retrain dispatch and reply review on the week's corrections; each new model
    # is deployed only if it is not worse on its frozen test split (learning.py).
    Periodic("retrain_weekly", "hotline.routing.learning.retrain_weekly", every=7 * 86_400),
]
