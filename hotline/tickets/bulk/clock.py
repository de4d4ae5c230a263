"""Times as integer microseconds since the epoch, and as the text the database stores."""

from datetime import UTC, datetime, timedelta

from hotline.catalog import calendar
from hotline.catalog.models import LimitUnit

US = 1_000_000  # times are handled as integer microseconds since the epoch
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_US


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class _Days(dict):
    """Epoch day -> its date as text, made on first use."""

    def __init__(self, suffix: str):
        super().__init__()
        self.suffix = suffix

    def __missing__(self, day: int) -> str:
        text = (EPOCH + timedelta(days=day)).date().isoformat() + self.suffix
        self[day] = text
        return text


_HMS: list[str] = []


def _seconds_of_day() -> list[str]:
    if not _HMS:
        _HMS.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    return _HMS


def _naive_clock():
    """Integer microseconds -> what Django stores on SQLite: naive UTC, str(datetime)."""
    hms, days = _seconds_of_day(), _Days(" ")

    def naive(t: int) -> str:
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{days[d]}{hms[x]}.{us:06d}" if us else f"{days[d]}{hms[x]}"

    return naive


_WORKING_DAYS, _MINUTES, _HOURS = (
    str(LimitUnit.WORKING_DAYS),
    str(LimitUnit.MINUTES),
    str(LimitUnit.HOURS),
)


class _Deadlines:
    """catalog.calendar's deadlines as stored text, remembered where only the day matters."""

    def __init__(self, store):
        self.store = store  # integer microseconds -> the stored text
        self.local_days: dict[int, object] = {}
        self.by_day: dict[tuple, str] = {}

    def __call__(self, start: int, value: int, unit: str) -> str:
        if unit == _WORKING_DAYS and value:
            # The day of receipt does not count; the limit ends when the office closes on
            # the value-th working day after it: a function of the local day alone.
            bucket = start // 900_000_000  # every zone's offset is a multiple of 15 minutes
            day = self.local_days.get(bucket)
            if day is None:
                day = self.local_days[bucket] = _dt(start).astimezone(calendar.LOCAL_TZ).date()
            deadline = self.by_day.get((value, day))
            if deadline is None:
                moment = calendar.add_limit(_dt(start), value, unit)
                deadline = self.by_day[(value, day)] = self.store(_us(moment))
            return deadline
        if unit == _MINUTES:
            return self.store(start + value * 60 * US)
        if unit == _HOURS:
            return self.store(start + value * 3600 * US)
        return self.store(_us(calendar.add_limit(_dt(start), value, unit)))
