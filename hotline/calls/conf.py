"""The telephony settings, with their defaults (each can be set in settings or the environment)."""

from django.conf import settings


def short_abandon_seconds() -> int:
    """A caller who hangs up within this many seconds of waiting is a short abandon: not
    counted against the answer rate and not called back."""
    return int(getattr(settings, "CALLS_SHORT_ABANDON_SECONDS", 5))


def service_level_seconds() -> int:
    """T of the service level: answered within T seconds."""
    return int(getattr(settings, "CALLS_SERVICE_LEVEL_SECONDS", 15))


def after_call_seconds() -> int:
    """How long 话后整理 lasts unless the agent sets ready earlier."""
    return int(getattr(settings, "CALLS_AFTER_CALL_SECONDS", 30))


def callback_limit() -> tuple[int, str]:
    """The 回拨 time limit as (value, catalog.calendar unit): working hours by default."""
    hours = getattr(settings, "CALLS_CALLBACK_HOURS", None)
    if hours:
        return int(hours), "hours"
    return int(getattr(settings, "CALLS_CALLBACK_WORKING_HOURS", 4)), "working_hours"
