"""Each LA's starting state in September 2014, back-cast from its own record.

The LA record (:mod:`sendabm.core.la_record`) gives each LA's EHC plans and their setting
mix from January 2019 only; the national series goes back to January 2015. The starting
population is drawn so that

- England holds ``initial_plan_share`` of its pupils on a statement or EHC plan (a
  national parameter, fitted to the record's January 2015 plans), and each LA holds that
  share times its 2019 plans per pupil relative to England's;
- each LA's share of plans in special schools (state and independent) and in independent
  special schools is the national starting share (set by the national bars
  ``special_threshold`` and ``independent_initial_need``) times the LA's 2019 share
  relative to England's.

That is the back-cast: **an LA keeps its January 2019 position relative to England**,
while England's level follows the national series, corrected by the LA's
``start_plans`` factor (:mod:`sendabm.core.dispositions`; 0 in the packaged table): from
September 2014 the LA's own flows move its position, so the factor can be fitted to make
its plans per pupil in 2019-2022 its record's, with England's starting plans kept
(:func:`corrected`). It rests on how persistent the
positions are in the record: :func:`persistence` gives the rank correlation across LAs
of plans per pupil in January 2019 and January 2022 (``tests/test_starting_state.py``
checks it stays above 0.7; ``docs/areas.md`` quotes its value). Every relative position
is raised to ``la_disposition_weight``, so at 0 the LAs start alike but for size, as
their dispositions are alike.

The starting bars are solved in closed form from the distributions the starting
children are drawn from (:func:`sendabm.core.cohorts.init_rows`): a log-normal need and
the LA's log-normal view of it. They set only the starting stock; the LAs' decisions
after that follow their own thresholds and dispositions
(:mod:`sendabm.core.dispositions`), so the flow of new plans is fitted separately from
the stock it adds to. This module is the one home of that separation.

The children before Reception (:mod:`sendabm.core.actors.early_years`) are drawn by the
same :func:`~sendabm.core.cohorts.init_rows` against the same plan bar, with their own
(lower) prevalence and identified share, and stay in early years whatever their need:
the bars are solved for the pupils, so England starts with ``initial_plan_share`` of its
pupils on a plan plus the few early-years plans,
as the record's January 2015 plans, counted at all ages, include the under-5s'.

Areas without a record (user areas files) start at the national shares. Alternative
provision has no setting in the model yet, so the record's AP placements are not used;
nor is SEN support, which the record does not give by LA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special as sp

from sendabm.core import la_record
from sendabm.core import states as S
from sendabm.core.actors.family import INITIAL_IDENTIFIED, NEED_CAP
from sendabm.core.cohorts import prevalence

START_YEAR = "2019-01"
"""The January whose record the back-cast keeps each LA's relative position from."""

SHARE_RANGE = (1e-4, 0.95)
"""Bounds on a target share (a share of plans or pupils) before it is solved for a bar."""

GRID_POINTS = 4001
"""Points of the quadrature over the standardised log need (−8 to 8 sd)."""


@dataclass(frozen=True)
class StartingBars:
    """Need bars (need units) that place the starting children of each LA.

    Attributes:
        plan: A child identified with a need holds a plan if the LA's view of the need
            reaches this bar.
        special: A plan-holder whose need reaches this bar is in a special school.
        independent: A plan-holder whose need reaches this bar is in an independent
            special school (it overrides ``special``).
    """

    plan: np.ndarray
    special: np.ndarray
    independent: np.ndarray


def relative_positions(codes: Sequence[str], pupils: np.ndarray) -> dict[str, np.ndarray]:
    """Each LA's January 2019 plans per pupil, special share and independent share,
    relative to the same measure over every LA with a record (1 where there is none).

    The three Dorset areas, merged in the record from 2019, share their group's figures.

    Args:
        codes: The areas' codes.
        pupils: Pupils in each area (any scale: only ratios are used).
    """
    plans, special, independent = (np.full(len(codes), np.nan) for _ in range(3))
    area_pupils = np.asarray(pupils, dtype=np.float64).copy()
    units = [la_record.group_of(code) or code for code in codes]
    unit_pupils: dict[str, float] = {}
    for unit, count in zip(units, area_pupils, strict=True):
        unit_pupils[unit] = unit_pupils.get(unit, 0.0) + float(count)
    for k, unit in enumerate(units):
        count = la_record.value(unit, "ehc_plans", START_YEAR)
        if count is None or count <= 0:
            continue
        # A merged unit's plans are shared among its areas by pupils.
        plans[k] = count * (area_pupils[k] / unit_pupils[unit] if unit != codes[k] else 1.0)
        special_pct = la_record.value(unit, "ehc_special_pct", START_YEAR)
        in_independent = la_record.value(unit, "ehc_special_independent", START_YEAR)
        special[k] = np.nan if special_pct is None else special_pct / 100.0
        independent[k] = np.nan if in_independent is None else in_independent / count
    have = np.isfinite(plans)
    if not have.any():  # areas of the user's own, none in the record: the national start
        return {name: np.ones(len(codes)) for name in
                ("plans_per_pupil", "special_share", "independent_share")}
    out = {}
    ppp = np.where(have, plans / np.maximum(area_pupils, 1.0), np.nan)
    out["plans_per_pupil"] = _relative(ppp, plans.sum(where=have) / area_pupils.sum(where=have))
    for name, share in (("special_share", special), ("independent_share", independent)):
        ok = have & np.isfinite(share)
        england = (share * plans).sum(where=ok) / plans.sum(where=ok) if ok.any() else np.nan
        out[name] = _relative(share, england)
    return out


def _relative(values: np.ndarray, england: float) -> np.ndarray:
    if not np.isfinite(england) or england <= 0:
        return np.ones_like(values)
    return np.where(np.isfinite(values), values / england, 1.0)


def corrected(relative: np.ndarray, start_plans: np.ndarray | None,
              pupils: np.ndarray) -> np.ndarray:
    """Relative plans per pupil times ``e^start_plans``, rescaled so England's starting
    plans (relative position times pupils, summed) are unchanged.

    Args:
        relative: Each LA's plans per pupil relative to England's (:func:`relative_positions`).
        start_plans: Each LA's log correction, or None for none.
        pupils: Pupils in each area.
    """
    if start_plans is None:
        return relative
    weighted = np.asarray(pupils, dtype=np.float64) * relative
    factor = np.exp(np.asarray(start_plans, dtype=np.float64))
    return relative * factor * (weighted.sum() / (weighted * factor).sum())


def starting_bars(p, codes: Sequence[str], pupils: np.ndarray,
                  start_plans: np.ndarray | None = None) -> StartingBars:
    """The bars that give each LA its back-cast starting plans and setting mix.

    Args:
        p: Parameter vector (``initial_plan_share``, the need distribution, the national
            bars and ``la_disposition_weight``).
        codes: The areas' codes.
        pupils: Pupils in each area.
        start_plans: Each LA's ``start_plans`` correction (log factor on its starting
            plans per pupil, :mod:`sendabm.core.dispositions`), or None for none.
    """
    relative = relative_positions(codes, pupils)
    relative["plans_per_pupil"] = corrected(relative["plans_per_pupil"], start_plans, pupils)
    weight = p.la_disposition_weight
    log_view_sd = np.hypot(p.need_severity_sigma, p.la_observation_sd)
    # Share of pupils identified with a need at the start, years spread evenly.
    identified = INITIAL_IDENTIFIED * float(prevalence(np.arange(S.SCHOOL_YEARS), p).mean())

    def bar_for_plans(plan_share: np.ndarray) -> np.ndarray:
        """The view of need above which ``plan_share`` of the pupils hold a plan."""
        return p.need_severity_median * np.exp(
            log_view_sd * sp.ndtri(1.0 - _clip(plan_share / identified)))

    plan_bar = bar_for_plans(p.initial_plan_share * relative["plans_per_pupil"] ** weight)
    national = _grid(p, bar_for_plans(np.array([p.initial_plan_share])))
    national_special = _share_of_plans_above(
        national, np.array([min(p.special_threshold, p.independent_initial_need)]))
    national_independent = _share_of_plans_above(national,
                                                 np.array([p.independent_initial_need]))
    local = _grid(p, plan_bar)
    special_bar = _bar_for_share(local, _clip(
        national_special * relative["special_share"] ** weight))
    independent_bar = _bar_for_share(local, _clip(
        national_independent * relative["independent_share"] ** weight))
    return StartingBars(plan_bar, special_bar, independent_bar)


def _clip(share: np.ndarray) -> np.ndarray:
    return np.clip(share, *SHARE_RANGE)


def _grid(p, plan_bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log need on a grid, and each LA's density of plan-holders over it (normalised).

    The need is ``median × e^(sigma x)``, x standard normal, capped at ``NEED_CAP``; a
    child holds a plan if ``need × e^(obs_sd z) >= plan_bar``.
    """
    x = np.linspace(-8.0, 8.0, GRID_POINTS)
    log_need = np.minimum(np.log(p.need_severity_median) + p.need_severity_sigma * x,
                          np.log(NEED_CAP))
    sd = max(p.la_observation_sd, 1e-9)
    density = np.exp(-0.5 * x * x)[None, :] * sp.ndtr(
        (log_need[None, :] - np.log(plan_bar)[:, None]) / sd)
    return log_need, density / density.sum(axis=1, keepdims=True)


def _share_of_plans_above(grid: tuple[np.ndarray, np.ndarray], bar: np.ndarray
                          ) -> np.ndarray:
    """Share of plan-holders whose need reaches ``bar`` (one value per LA of ``grid``,
    :func:`_grid`)."""
    log_need, density = grid
    return (density * (log_need[None, :] >= np.log(bar)[:, None])).sum(axis=1)


def _bar_for_share(grid: tuple[np.ndarray, np.ndarray], share: np.ndarray) -> np.ndarray:
    """The need bar above which ``share`` of each LA's plan-holders lie (``grid``:
    :func:`_grid`)."""
    log_need, density = grid
    # Share of plan-holders at or above each grid point, from the top down.
    above = np.cumsum(density[:, ::-1], axis=1)[:, ::-1]
    bars = np.empty(share.size)
    for k in range(share.size):
        # `above` falls along the grid: interpolate on the reversed, rising arrays.
        bars[k] = np.interp(share[k], above[k, ::-1], log_need[::-1])
    return np.exp(bars)


def persistence(codes: Sequence[str], pupils: np.ndarray) -> float:
    """Rank correlation across LAs of plans per pupil in January 2019 and January 2022
    in the packaged record, the evidence the back-cast rests on.

    Args:
        codes: The areas' codes (the merged Dorset areas are left out).
        pupils: Pupils in each area.
    """
    from scipy.stats import spearmanr

    first, last = [], []
    for code, count in zip(codes, pupils, strict=True):
        then, now = (la_record.value(code, "ehc_plans", y) for y in (START_YEAR, "2022-01"))
        if then is not None and now is not None and count > 0:
            first.append(then / count)
            last.append(now / count)
    return float(spearmanr(first, last).statistic)
