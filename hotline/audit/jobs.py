"""The audit app's periodic jobs, run by `hotline worker` (collected by supervision.schedule
from every installed app's `jobs.JOBS`; see docs/decisions.md)."""

from hotline.supervision.schedule import Periodic

JOBS = [
    # Built export files not downloaded in time are deleted (citizens' data on disk).
    Periodic("audit_export_purge", "hotline.audit.exports.purge_expired", every=3600),
]
