"""Model time: monthly ticks from September 2014, school years and financial years.

Tick 0 is September 2014, the month the Children and Families Act 2014 reforms took
effect. School years start in September (cohorts age, children transfer at Reception,
Year 7 and post-16); financial years start in April (high-needs allocations arrive and
deficits are accounted).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

START_YEAR = 2014
START_MONTH = 9
MONTHS_PER_YEAR = 12

_YM = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    """Parse 'YYYY-MM' into (year, month); raise ValueError with a one-line message."""
    match = _YM.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2025-08")
    return int(match.group(1)), int(match.group(2))


def tick_of(text: str) -> int:
    """Tick number of the month 'YYYY-MM' (0 = 2014-09)."""
    year, month = parse_month(text)
    return (year - START_YEAR) * 12 + (month - START_MONTH)


def date_of(tick: int) -> dt.date:
    """First day of the month simulated at ``tick``."""
    months = START_MONTH - 1 + tick
    return dt.date(START_YEAR + months // 12, months % 12 + 1, 1)


def month_of(tick: int) -> int:
    """Calendar month (1-12) of ``tick``."""
    return (START_MONTH - 1 + tick) % 12 + 1


def is_september(tick: int) -> bool:
    """True at the start of a school year."""
    return month_of(tick) == 9


def is_april(tick: int) -> bool:
    """True at the start of a financial year."""
    return month_of(tick) == 4


def years_since_start(tick: int) -> float:
    """Years elapsed since September 2014."""
    return tick / 12.0


def financial_year(tick: int) -> int:
    """Calendar year in which the financial year containing ``tick`` starts."""
    d = date_of(tick)
    return d.year if d.month >= 4 else d.year - 1


def label(tick: int) -> str:
    """'YYYY-MM' label of ``tick``."""
    d = date_of(tick)
    return f"{d.year:04d}-{d.month:02d}"


def rolling_sum(values: np.ndarray, window: int = MONTHS_PER_YEAR) -> np.ndarray:
    """Trailing sum over ``window`` months (the last axis): a monthly flow as a yearly one.

    NaN until a full window is available. Works on one series or on a stack of them,
    e.g. (seed, month).
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    if values.shape[-1] >= window:
        out[..., window - 1 :] = np.lib.stride_tricks.sliding_window_view(
            values, window, axis=-1).sum(axis=-1)
    return out
