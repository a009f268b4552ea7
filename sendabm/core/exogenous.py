"""Exogenous national series the model is driven by (pupil numbers, high-needs money).

Values and their sources live in ``sendabm/data/national_series.csv``; years beyond the
last row are extended by the last row's growth rate (stated as an assumption there).
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

from sendabm.core import calendar


@functools.cache
def series(name: str) -> dict[int, float]:
    """Return {year: value} for a series in the national data file."""
    out: dict[int, float] = {}
    with resources.files("sendabm.data").joinpath("national_series.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["series"] == name:
                out[int(row["period"])] = float(row["value"])
    if not out:
        raise KeyError(f"no series '{name}' in national_series.csv")
    return out


def value(name: str, year: int) -> float:
    """Value of ``name`` in ``year``, extrapolated at the last known growth rate."""
    data = series(name)
    first, last = min(data), max(data)
    if year in data:
        return data[year]
    if year < first:
        return data[first]
    growth = data[last] / data[last - 1] if last - 1 in data else 1.0
    return data[last] * growth ** (year - last)


def pupils(school_year: int) -> float:
    """Pupils in England in the school year starting September ``school_year``."""
    return value("pupils", school_year)


def high_needs_allocation(financial_year: int) -> float:
    """High-needs block for England in the financial year starting April, GBP/year."""
    return value("high_needs_allocation_gbp", financial_year)


SCHOOL_CLOSURES: tuple[str, ...] = ("2020-04", "2020-05", "2020-06", "2020-07",
                                    "2021-01", "2021-02")
"""Months schools in England were closed to most pupils in the COVID-19 pandemic (DfE:
from 23 March to the end of the 2019/20 summer term, with a partial return from 1 June,
and from 5 January to 8 March 2021): the months families and schools asked for fewer
assessments (SEN2: initial requests fell from 82,329 in 2019 to 75,951 in 2020, then rose
to 93,302 in 2021)."""


@functools.cache
def _closure_ticks() -> frozenset[int]:
    return frozenset(calendar.tick_of(month) for month in SCHOOL_CLOSURES)


def request_factor(tick: int, p) -> float:
    """Multiplier on families' and schools' chance of requesting an assessment in month
    ``tick``: ``closure_request_factor`` while schools were closed, else 1."""
    return float(p.closure_request_factor) if tick in _closure_ticks() else 1.0
