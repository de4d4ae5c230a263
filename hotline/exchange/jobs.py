"""The exchange's periodic jobs, run by `hotline worker` (collected by supervision.schedule
from every installed app's `jobs.JOBS`). Both work by state, so a missed slot is caught up."""

from hotline.supervision.schedule import Periodic

JOBS = [
    # A hand-over the police have not acknowledged within the center's limit alerts the
    # center once (the limit is in minutes: a minute's period keeps the alert on time).
    Periodic("police_ack_overdue", "hotline.exchange.police_alerts.warn_unacknowledged", every=60),
    # The result of a closed 非警务警情 goes back to the police through the outbox.
    Periodic("police_results", "hotline.exchange.police_demands.send_results", every=30),
]
