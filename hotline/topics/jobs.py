"""The topics app's periodic job, run by `hotline worker` (collected by supervision.schedule
from every installed app's `jobs.JOBS`)."""

from hotline.supervision.schedule import Periodic

JOBS = [
    # Tag new tickets with active topics, carry citizen marks over from earlier tickets, apply
    # stricter limits and mandatory 督办 once tickets are dispatched.
    Periodic("topics_sweep", "hotline.topics.tasks.sweep", every=30),
]
