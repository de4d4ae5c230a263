"""The calls app's periodic jobs, run by `hotline worker` (collected by supervision.schedule
from every installed app's `jobs.JOBS`; see docs/decisions.md)."""

from hotline.supervision.schedule import Periodic

JOBS = [
    # 话后整理 past its time ends even when nobody opens the agent's page (the worker ticks
    # about every ten seconds, so an agent is back to 就绪 within ~10 s of the limit).
    Periodic("calls_after_call", "hotline.calls.agents.sweep_after_call", every=10),
    # 回拨 items past their time limit are told once to the center.
    Periodic("calls_overdue_callbacks", "hotline.calls.callbacks.warn_overdue", every=60),
]
