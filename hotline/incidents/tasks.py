"""The incidents' periodic job, run by `hotline worker` (registered in supervision.schedule):
mark new demands, send approved group replies, escalate unacknowledged urgent reports.
Each part works by state, so a missed run is caught up by the next."""

from . import grouping, marking, urgent


def sweep() -> dict:
    return {
        "marked": marking.mark_new(),
        "replies_sent": grouping.fan_out_ready(),
        "escalated": urgent.escalate_overdue(),
    }
