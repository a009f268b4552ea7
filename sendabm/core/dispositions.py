"""Each local authority's own dispositions: how it gatekeeps, assesses and places.

England has "152 different SEND systems" (Isos 2024): in 2022 the share of requests
refused ran from 7% to 35% across LAs, new plans within 20 weeks from 16% to 88%, the
share of plans in special schools from 25% to 45%. A :class:`Dispositions` holds, for
each LA code, its standing practice as log offsets from the national parameters:

- ``assess``: its bar to agree an assessment, ``assess_threshold_initial × e^assess``;
- ``plan``: its bar to issue a plan, ``plan_threshold_initial × e^plan``;
- ``special``: its bar to name a special setting, ``special_threshold × e^special``;
- ``capacity``: its assessment capacity, ``ep_fte_per_10k_pupils × e^capacity`` (what
  drives its share of plans within 20 weeks);
- ``independent``: its reliance on independent places: it waits
  ``wait_before_independent × e^-independent`` months for a state special place before
  buying an independent one, and commissions ``commissioning_share × e^-independent``
  (bounded to half or double) new state places per child waiting or placed
  independently;
- ``appeal``: log-odds added to its families' decision to appeal. It stands for the local
  conditions of appealing that the model does not otherwise represent (advice and
  advocacy, the quality of the LA's decision letters and plans, the disputes over a
  plan's contents), which keep an LA's appeal rate where it was: across LAs the 2019 and
  2022 appeal rates have a rank correlation of 0.72, and appeal rates barely follow
  refusal shares (0.24 in 2022).
- ``request``: log-odds added to its families' decision to request an assessment. It
  stands for the local conditions of requesting the model does not otherwise represent
  (what schools' SEN support offers before a plan, parent-carer advice, the LA's own
  local offer): in 2022 requests per pupil ran from 0.85% to 1.64% between the 10th and
  90th percentiles of LAs, and across LAs plans per pupil has a rank correlation of 0.48
  with requests per pupil and 0.10 with the refusal share. With ``appeal``, one of
  the two offsets not about the LA's own decisions.
- ``start_plans``: not a disposition but the correction of the LA's starting state: a
  log factor on the plans per pupil it holds in September 2014
  (:mod:`sendabm.core.starting_state`), England's starting plans kept. The back-cast
  keeps each LA's January 2019 position relative to England; the LA's own flows from
  2014 then move it, so without this factor the model's LAs reach January 2019
  compressed towards England (the log error of plans per pupil had a rank correlation of
  -0.67 with the record's level in 2019). ``sendabm calibrate`` fits it to the LA's plans
  per pupil only when the spec asks (``[las] start_plans = true``): the packaged table
  holds 0, because fitted it sets off a national catch-up of new plans
  (results/calibration/README.md).

Two of them also move **year by year**: an LA's gatekeeping stance (``assess``) and its
assessment staffing (``capacity``) change with its panel's policy, its budget round and
its staff turnover, and the record shows it: across LAs the refusal share of 2019 and of
2022 have a rank correlation of only 0.30, the 20-week share 0.18, and an LA's yearly
values move around its own 2019-2022 mean by a pooled SD of 8.9 and 19.9 points. The
table's ``assess_<year>`` and ``capacity_<year>`` columns (:data:`YEARLY_FIELDS`, for
the record years fitted) hold each LA's log deviation in that calendar year from its
standing offset, centred on the factor ``e^d`` they apply over years within each LA and
over LAs each year (:func:`sendabm.experiments.la_offsets.centred`), so they carry only
what is particular to that LA in that year: England's level and trend stay with the
national parameters and the LA's level with its standing offset. A year's stance applies
from its January, its staffing from the September before (:data:`YEARLY_MONTHS`). Before
the first year the deviation is 0; after the last it decays geometrically, at the year-to-year
persistence the record's own LA-year movements show (:func:`persistence`), so a
projection does not carry one year's shock forever and does not drop it at once. The
packaged table fits the stance's deviations only; its ``capacity_<year>`` columns hold 0,
since staffing that moves from year to year completes fewer assessments in England than
staffing held level, and no national set refitted to it kept new plans rising in
2020-2022 (results/calibration/README.md, "Each LA's years").

Offsets are LA state, not constants: they set each LA's criteria (its 2014 bars), which
its yearly reckoning of what a refusal saves and costs scales, so its bars move with its
budget pressure and with the appeals and reversals its refusals draw
(:meth:`sendabm.core.actors.local_authority.LocalAuthorities.adapt_year`). The
packaged ``sendabm/data/la_dispositions.csv`` is estimated from each LA's 2019-2022
record by ``sendabm calibrate`` (:mod:`sendabm.experiments.la_offsets`), with the
national parameters; the parameter ``la_disposition_weight`` scales every offset
(0: 152 LAs alike but for size). Areas whose code is not in the table (user areas
files) get offset 0. The decision offsets govern decisions from September 2014 on; the
plans and placements each LA holds at the start are back-cast from its record separately
(:mod:`sendabm.core.starting_state`), corrected by ``start_plans``.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

DECISION_FIELDS: tuple[str, ...] = ("assess", "plan", "special", "capacity", "independent",
                                    "appeal", "request")
"""The offsets that govern decisions (the LA's and its families'): all but
``start_plans``, which sets the starting state only."""

FIELDS: tuple[str, ...] = (*DECISION_FIELDS, "start_plans")
"""The offsets, in file-column order (0 is the national value; log units, but log-odds for
``appeal`` and ``request``)."""

YEARLY_FIELDS: tuple[str, ...] = ("assess", "capacity")
"""The decision offsets that also carry a deviation per calendar year."""

YEARLY_MONTHS: dict[str, tuple[int, int]] = {"assess": (1, 0), "capacity": (9, 1)}
"""Each yearly field's first month in force and the years ahead it looks: a year's stance
to assess applies from its January (a request is decided within six weeks); its staffing
from the September before (the plans issued in a calendar year were mostly assessed in
the school year before, from requests made from about its June)."""

YEARLY_MEASURES: dict[str, tuple[str, str]] = {
    "assess": ("requests_refused", "requests_received"),
    "capacity": ("plans_issued_within_20_weeks_pct", ""),
}
"""Each yearly field's share in the LA record (numerator, denominator; a percentage
where there is no denominator), whose year-to-year movement sets its persistence."""

OFFSET_LIMIT = 3.0
"""Largest offset magnitude accepted (a factor of e^3 ~ 20 either way)."""

PACKAGED_FILE = "la_dispositions.csv"
"""The fitted table, in ``sendabm/data/``."""


class DispositionsError(ValueError):
    """A dispositions table that cannot be used."""


@dataclass(frozen=True)
class Dispositions:
    """LA offsets by code.

    Attributes:
        codes: LA codes, one per row.
        offsets: float64 array (len(codes), len(FIELDS)), log offsets in ``FIELDS`` order.
        years: Calendar years of the yearly deviations, consecutive (may be empty).
        yearly: float64 array (len(codes), len(YEARLY_FIELDS), len(years)), each LA's log
            deviation from its standing offset in each year (default all 0).
    """

    codes: tuple[str, ...]
    offsets: np.ndarray
    years: tuple[int, ...] = ()
    yearly: np.ndarray | None = None

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64)
        years = tuple(int(y) for y in self.years)
        shape = (len(self.codes), len(YEARLY_FIELDS), len(years))
        yearly = np.zeros(shape) if self.yearly is None else np.asarray(self.yearly, np.float64)
        if offsets.shape != (len(self.codes), len(FIELDS)):
            raise DispositionsError(
                f"dispositions need {len(FIELDS)} offsets ({', '.join(FIELDS)}) for each of "
                f"{len(self.codes)} codes, got shape {offsets.shape}")
        consecutive = not years or years == tuple(range(years[0], years[-1] + 1))
        if yearly.shape != shape or not consecutive:
            raise DispositionsError(
                f"dispositions need a deviation of {', '.join(YEARLY_FIELDS)} for each code "
                f"and each of consecutive years {years}, got shape {yearly.shape}")
        if len(set(self.codes)) != len(self.codes):
            raise DispositionsError("dispositions list a code twice; give each LA one row")
        for values in (offsets, yearly):
            if not np.all(np.isfinite(values)) or np.abs(values).max(initial=0) > OFFSET_LIMIT:
                raise DispositionsError(
                    f"dispositions hold an offset that is not a number in -{OFFSET_LIMIT}.."
                    f"{OFFSET_LIMIT}; refit with `sendabm calibrate`")
            values.setflags(write=False)
        object.__setattr__(self, "codes", tuple(self.codes))
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "years", years)
        object.__setattr__(self, "yearly", yearly)

    @classmethod
    def none(cls, codes: Sequence[str]) -> Dispositions:
        """Every LA at the national practice (all offsets 0, no yearly deviations)."""
        return cls(tuple(codes), np.zeros((len(codes), len(FIELDS))))

    def yearly_for_codes(self, codes: Sequence[str]) -> np.ndarray:
        """Yearly deviations aligned to ``codes``, (len(codes), len(YEARLY_FIELDS),
        len(years)); zeros for codes not in the table."""
        row = {c: i for i, c in enumerate(self.codes)}
        out = np.zeros((len(codes), len(YEARLY_FIELDS), len(self.years)))
        for k, code in enumerate(codes):
            if code in row:
                out[k] = self.yearly[row[code]]
        return out

    def for_codes(self, codes: Sequence[str]) -> np.ndarray:
        """Offsets aligned to ``codes`` (rows of zeros for codes not in the table)."""
        row = {c: i for i, c in enumerate(self.codes)}
        out = np.zeros((len(codes), len(FIELDS)))
        for k, code in enumerate(codes):
            if code in row:
                out[k] = self.offsets[row[code]]
        return out

    def to_csv(self) -> str:
        """The table as CSV text (``code``, :data:`FIELDS`, then the yearly columns
        ``<field>_<year>``; 6 decimals)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("code", *FIELDS, *yearly_columns(self.years)))
        for code, row, yearly in zip(self.codes, self.offsets, self.yearly, strict=True):
            writer.writerow((code, *(f"{v:.6f}" for v in (*row, *yearly.ravel()))))
        return out.getvalue()


def yearly_columns(years: Sequence[int]) -> list[str]:
    """The yearly columns' names, field by field, year by year."""
    return [f"{field}_{year}" for field in YEARLY_FIELDS for year in years]


def _yearly_years(header: Sequence[str], where: str) -> tuple[int, ...]:
    """The years of a table's yearly columns: every field must have the same years."""
    found = {field: sorted(int(name.rpartition("_")[2]) for name in header
                           if name.startswith(f"{field}_") and name.rpartition("_")[2].isdigit())
             for field in YEARLY_FIELDS}
    years = found[YEARLY_FIELDS[0]]
    if any(found[f] != years for f in YEARLY_FIELDS):
        raise DispositionsError(f"{where}: the yearly columns must cover the same years for "
                                f"{', '.join(YEARLY_FIELDS)} (found {found}); refit with "
                                "`sendabm calibrate`")
    return tuple(years)


def read(path: str | os.PathLike[str]) -> Dispositions:
    """Read a dispositions CSV (header ``code`` plus :data:`FIELDS`).

    Raises:
        DispositionsError: A missing file, column or value, with the fix.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise DispositionsError(f"cannot read dispositions file {path}: {e.strerror}; "
                                "give the path of a CSV written by `sendabm calibrate`") from e
    return parse(text, str(path))


def parse(text: str, where: str) -> Dispositions:
    """Parse dispositions CSV text (see :func:`read`); ``where`` names it in errors."""
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [f for f in ("code", *FIELDS) if rows and f not in rows[0]]
    if not rows or missing:
        raise DispositionsError(f"{where}: needs the columns code, {', '.join(FIELDS)} and a "
                                f"row per LA (missing: {', '.join(missing) or 'rows'})")
    years = _yearly_years(list(rows[0]), where)
    columns = yearly_columns(years)
    try:
        offsets = [[float(r[f]) for f in FIELDS] for r in rows]
        yearly = [[float(r[c]) for c in columns] for r in rows]
    except (TypeError, ValueError) as e:
        raise DispositionsError(f"{where}: an offset is not a number ({e}); "
                                "refit with `sendabm calibrate`") from e
    shape = (len(rows), len(YEARLY_FIELDS), len(years))
    return Dispositions(tuple(r["code"] for r in rows), np.array(offsets), years,
                        np.array(yearly).reshape(shape))


def deviation(yearly: np.ndarray, years: Sequence[int], year: int,
              decay: np.ndarray) -> np.ndarray:
    """Each LA's yearly deviations in calendar ``year``, (len(YEARLY_FIELDS), n).

    Args:
        yearly: (n, len(YEARLY_FIELDS), len(years)) deviations.
        years: Their years, consecutive.
        year: The calendar year.
        decay: (len(YEARLY_FIELDS),) share of a deviation kept from one year to the next
            after the last year (:func:`persistence`).

    Returns:
        0 before the first year; the table's deviation in its years; the last year's times
        ``decay ** (year - last)`` after them.
    """
    n = yearly.shape[0]
    if not years or year < years[0]:
        return np.zeros((len(YEARLY_FIELDS), n))
    if year <= years[-1]:
        return yearly[:, :, year - years[0]].T.copy()
    return yearly[:, :, -1].T * (np.asarray(decay)[:, None] ** (year - years[-1]))


@functools.cache
def persistence(field: str) -> float:
    """The share of an LA's deviation in one year kept the next, for a yearly field.

    Read off the record (:data:`YEARLY_MEASURES`, 2019-2022): an LA's share (as log-odds)
    is taken to be its standing level plus a deviation that decays by ``phi`` a year, so
    the correlation across LAs of years ``k`` apart is ``1 - r (1 - phi ** k)``, ``r``
    being the deviations' share of the variance. ``phi`` and ``r`` are the least-squares
    fit (on a 0.01 grid) to the correlations at 1, 2 and 3 years apart.

    Returns:
        ``phi``, in 0-1.
    """
    from sendabm.core import la_record

    top, bottom = YEARLY_MEASURES[field]
    years = range(2019, 2023)
    rows = []
    for code in la_record.names_by_code():
        if code in la_record.GROUP_NAMES or code == la_record.ENGLAND:
            continue
        shares = []
        for y in years:
            value = la_record.value(code, top, str(y))
            total = la_record.value(code, bottom, str(y)) if bottom else 100.0
            shares.append(value / total if value is not None and total else np.nan)
        rows.append(shares)
    shares = np.asarray(rows, float)
    shares = np.clip(shares[np.all(np.isfinite(shares), axis=1)], 1e-3, 1 - 1e-3)
    logit = np.log(shares / (1 - shares))
    lags = (1, 2, 3)
    corr = np.array([np.mean([np.corrcoef(logit[:, t], logit[:, t + k])[0, 1]
                              for t in range(len(years) - k)]) for k in lags])
    grid = np.linspace(0.0, 1.0, 101)
    phi, r = np.meshgrid(grid, grid, indexing="ij")
    predicted = 1.0 - r[..., None] * (1.0 - phi[..., None] ** np.array(lags))
    error = ((predicted - corr) ** 2).sum(axis=-1)
    best = np.unravel_index(np.argmin(error), error.shape)
    return float(grid[best[0]])


@functools.lru_cache(maxsize=1)
def packaged() -> Dispositions:
    """The fitted dispositions the package ships (``sendabm/data/la_dispositions.csv``)."""
    ref = resources.files("sendabm") / "data" / PACKAGED_FILE
    return parse(ref.read_text(encoding="utf-8"), f"sendabm/data/{PACKAGED_FILE}")
