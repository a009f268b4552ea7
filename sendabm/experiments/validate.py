"""Validate the calibrated baseline against the record, and project it forward.

``sendabm validate`` runs the baseline over many seeds (default 10 at scale 0.05) from
September 2014 to August 2040 with no policy change, and writes to one folder:

- ``fit.csv`` (series, year, record, median, p5, p95) and ``projection.csv``;
- ``VALIDATION.md``: the mean absolute percentage error (MAPE) of each series over
  2015-2022, of the seed median and of each seed, and how the runs were made;
- ``la_fit.csv`` and ``LA_FIT.md``: the model against the record LA by LA, 2019-2022
  (:mod:`sendabm.experiments.la_fit`), from the per-LA counts each run keeps of those
  years (:attr:`Validation.la`);
- the figures the caller asks for: the command line draws ``validation.png`` (each
  target series, the record's points against the model's median and 90% band,
  September 2014 to August 2025), ``projection.png`` (EHC plans, appeals, placements
  by setting, money and deficits to 2039/40, with bands) and ``la_fit.png`` (one point
  per LA and measure, 2022), from
  :data:`sendabm.presentation.validation_figures.VALIDATION_FIGURES`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core import exogenous
from sendabm.core.calendar import rolling_sum
from sendabm.core.scenario import Scenario
from sendabm.experiments import la_fit as F
from sendabm.experiments import targets as T
from sendabm.experiments.pool import WorkerPool, available_cores
from sendabm.experiments.results import replace_files
from sendabm.experiments.run import run_scenario

VALIDATION_END = dt.date(2025, 8, 1)
"""Last month of the validation figure (the historical replay)."""
PROJECTION_END = "2040-08"
"""Last month of the projection: the end of academic year 2039/40."""
ACCEPT_MAPE = {"ehc_plans": 10.0, "appeals_registered": 20.0}
"""The acceptance bounds of issue 4, percent over 2015-2022."""
PROJECTED = ("ehc_plans", "appeals_registered", "placements_mainstream", "placements_special",
             "placements_independent", "high_needs_spend_gbp", "high_needs_allocation_gbp",
             "cumulative_deficit_gbp", "las_deficit_over_reserves", "adversarial_index")


@dataclass
class Validation:
    """Runs of the baseline over seeds, reduced to what the outputs need.

    Attributes:
        dates: First day of each simulated month.
        seeds: The seeds run.
        scale: Share of England simulated.
        national: Measure -> array (seed, month) at England scale.
        wall_seconds: Time taken by the runs, s.
        la: The per-LA counts of every seed over the LA fit's months
            (:func:`sendabm.experiments.la_fit.la_counts`), or None.
    """

    dates: list[dt.date]
    seeds: list[int]
    scale: float
    national: dict[str, np.ndarray]
    wall_seconds: float
    la: F.LACounts | None = None

    @functools.cached_property
    def la_fit(self) -> F.LAFit | None:
        """The LA fit of the runs (:func:`sendabm.experiments.la_fit.fit`), or None."""
        if self.la is None:
            return None
        return F.fit(self.la, f"seeds {self.seeds[0]}-{self.seeds[-1]} at scale "
                              f"{self.scale:g} (sendabm validate)")

    def period_values(self, target: T.Target, years: Sequence[int]) -> np.ndarray:
        """Target values, shape (seed, year)."""
        return np.stack([T.model_series(target, self.dates, {k: v[s] for k, v in
                                                             self.national.items()}, years)
                         for s in range(len(self.seeds))])


def run_seed(scenario: Scenario) -> tuple[list[dt.date], dict[str, np.ndarray], F.LACounts]:
    """One validation run (the workers' task): its dates, national measures and the
    per-LA counts of the LA fit's months."""
    output = run_scenario(scenario)
    return output.dates, output.national, F.la_counts(output, *F.fit_window(output.dates))


def run_validation(seeds: int = 10, scale: float = 0.05, end: str = PROJECTION_END,
                   workers: int | None = None, progress: bool = True) -> Validation:
    """Run the packaged baseline for seeds 1..``seeds`` at ``scale`` to ``end``."""
    import time

    from sendabm.core.scenario import default_scenario

    base = default_scenario().with_overrides(run={"scale": scale, "end": end})
    scenarios = [base.with_overrides(run={"seed": s}) for s in range(1, seeds + 1)]
    started = time.perf_counter()
    with WorkerPool(workers or min(seeds, available_cores())) as pool:
        outputs = pool.ordered(run_seed, scenarios)
        if progress:
            from tqdm import tqdm

            outputs = tqdm(outputs, total=len(scenarios), unit="run",
                           desc="validate baseline", dynamic_ncols=True)
        outputs = list(outputs)
    dates = list(outputs[0][0])
    names = sorted(outputs[0][1])
    national = {k: np.stack([np.asarray(o[1][k], float) for o in outputs]) for k in names}
    return Validation(dates, list(range(1, seeds + 1)), scale, national,
                      time.perf_counter() - started, F.stack([o[2] for o in outputs]))


def fit_table(v: Validation) -> list[dict]:
    """One row per target and year in the validation window: record, median, band."""
    rows = []
    for target in T.TARGETS:
        years = _window_years(target)
        values = v.period_values(target, years)
        record = T.record()[target.name]
        for k, year in enumerate(years):
            col = values[:, k]
            if np.all(np.isnan(col)) and year not in record:
                continue  # a period after the run's end (or with no event at all)
            rows.append({"series": target.name, "year": year,
                         "record": record.get(year, float("nan")),
                         "median": float(np.nanmedian(col)),
                         "p5": float(np.nanpercentile(col, 5)),
                         "p95": float(np.nanpercentile(col, 95))})
    return rows


def _window_years(target: T.Target) -> list[int]:
    """Period years that fall wholly inside September 2014 to August 2025."""
    return T.years_within(target.period, dt.date(2014, 9, 1), dt.date(2025, 8, 1))


def mape_table(v: Validation) -> dict[str, dict[str, float]]:
    """MAPE over 2015-2022 per series: of the seed median, and the range over seeds."""
    out = {}
    for target in T.TARGETS:
        years = T.fit_years(target.name)
        data = np.array([T.record()[target.name][y] for y in years])
        values = v.period_values(target, years)
        per_seed = [T.mape(values[s], data) for s in range(values.shape[0])]
        out[target.name] = {"median": T.mape(np.nanmedian(values, axis=0), data),
                            "seed_min": float(np.min(per_seed)),
                            "seed_max": float(np.max(per_seed))}
    return out


def projection_table(v: Validation) -> list[dict]:
    """Median and band of the projected measures, one row per month."""
    rows = []
    for name in PROJECTED:
        values = yearly_if_flow(name, v.national[name])
        for m, date in enumerate(v.dates):
            col = values[:, m]
            if np.all(np.isnan(col)):
                continue
            rows.append({"measure": name, "date": date.isoformat(),
                         "median": float(np.nanmedian(col)),
                         "p5": float(np.nanpercentile(col, 5)),
                         "p95": float(np.nanpercentile(col, 95))})
    return rows


def yearly_if_flow(name: str, values: np.ndarray) -> np.ndarray:
    """Appeals as a trailing 12-month sum; stocks as they are."""
    return rolling_sum(values) if name == "appeals_registered" else values


def write_validation(v: Validation, out: Path, command: str,
                     figures: Mapping[str, Callable[[Validation, Path], Any]] | None = None,
                     ) -> list[Path]:
    """Write the validation outputs into ``out`` (other files there are kept).

    The files are ``fit.csv``, ``projection.csv``, ``VALIDATION.md``, the LA fit's
    ``la_fit.csv`` and ``LA_FIT.md`` when ``v.la`` holds the per-LA counts, and the
    figures. They are built in a temporary folder first, then moved into place one by
    one, so a failure leaves the previous outputs untouched
    (:func:`sendabm.experiments.results.replace_files`).

    Args:
        v: The runs.
        out: Output folder, created if missing.
        command: The command line, for ``VALIDATION.md``.
        figures: File name -> function drawing that figure of ``v`` into a path, e.g.
            :data:`sendabm.presentation.validation_figures.VALIDATION_FIGURES`; none
            if None.

    Returns:
        The files written, by name.
    """
    from sendabm.core import calibrated

    fit, mapes, projection = fit_table(v), mape_table(v), projection_table(v)
    info, _ = calibrated.load()

    def write(stage: Path) -> None:
        _write_csv(stage / "fit.csv", fit)
        _write_csv(stage / "projection.csv", projection)
        (stage / "VALIDATION.md").write_text(report(v, mapes, command, info), encoding="utf-8")
        if v.la_fit is not None:
            F.write_files(v.la_fit, stage, command)
        for name, draw in (figures or {}).items():
            draw(v, stage / name)

    return replace_files(out, write)


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{x:.6g}" if isinstance(x, float) else x)
                             for k, x in row.items()})


PUBLISHED_PROJECTIONS = {
    "ehc_plans_projection_stable_requests": "if request rates stabilise",
    "ehc_plans_projection_rising_requests": "if request rates keep rising",
}
"""Series of ``national_series.csv`` (kind ``projection``): a published cohort projection
of EHC plans built on LA data, and the assumption of each."""


def published_projections() -> list[tuple[str, str, dt.date, float]]:
    """(series, assumption, January of its year, EHC plans) of each published projection
    (:data:`PUBLISHED_PROJECTIONS`, read from ``national_series.csv``)."""
    out = []
    for name, assumption in PUBLISHED_PROJECTIONS.items():
        (year, value), = exogenous.series(name).items()
        out.append((name, assumption, dt.date(year, 1, 1), value))
    return out


def projection_comparison(v: Validation) -> list[str]:
    """VALIDATION.md's lines comparing the model's EHC plans in January of the published
    projection's year with that projection (none if the runs end before it)."""
    lines = []
    for name, assumption, day, published in published_projections():
        year = day.year
        if day not in v.dates:
            return []
        if not lines:
            col = v.national["ehc_plans"][:, list(v.dates).index(day)]
            lines = ["", f"## The projection against a published one (EHC plans, January "
                     f"{year})", "",
                     f"The model, with no policy change: {np.nanmedian(col):,.0f} (5-95% over "
                     f"seeds {np.nanpercentile(col, 5):,.0f}-{np.nanpercentile(col, 95):,.0f}); "
                     "its children enter at age 2, so it has no plans before then (SEN2 "
                     "counts a few).", ""]
        lines.append(f"- A cohort projection built on LA data, {assumption}: "
                     f"{published:,.0f} (`national_series.csv`, `{name}`).")
    return lines


def report(v: Validation, mapes: dict[str, dict[str, float]], command: str,
           info: dict) -> str:
    """VALIDATION.md: how the runs were made and the fit of each series."""
    lines = ["# Validation of the calibrated baseline", "",
             f"- Command: `{command}`",
             f"- Runs: seeds {v.seeds[0]}-{v.seeds[-1]} ({len(v.seeds)} runs) at scale "
             f"{v.scale:g}, {v.dates[0]:%Y-%m} to {v.dates[-1]:%Y-%m}, no policy change; "
             f"{v.wall_seconds:.0f} s on {os.cpu_count()} cores; date {dt.date.today()}",
             f"- Parameters: the package defaults, calibrated on {info.get('date', '?')} by "
             f"`{info.get('command', '?')}` ({info.get('trials', '?')} trials, "
             f"{info.get('seeds', '?')} seeds at scale {info.get('scale', '?')})", "",
             "## Fit over 2015-2022 (mean absolute percentage error, %)", "",
             "The median is the MAPE of the median over seeds; the range is the smallest and "
             "largest MAPE of single seeds.", "",
             "| series | years of record | MAPE of median | single seeds | bound |",
             "|---|---|---|---|---|"]
    for target in T.TARGETS:
        m = mapes[target.name]
        years = T.fit_years(target.name)
        bound = ACCEPT_MAPE.get(target.name)
        verdict = "" if bound is None else (f"≤ {bound:g}: " + ("met" if m["median"] <= bound
                                                                else "**missed**"))
        lines.append(f"| {target.label} | {years[0]}-{years[-1]} ({len(years)}) | "
                     f"{m['median']:.1f} | {m['seed_min']:.1f}-{m['seed_max']:.1f} | "
                     f"{verdict} |")
    lines += projection_comparison(v)
    lines += ["", "Figures: `validation.png` (record against the model, 2014-2025) and "
              "`projection.png` (to 2039/40). Tables: `fit.csv`, `projection.csv`."]
    if v.la_fit is not None:
        lines.append(f"LA by LA: `{F.LA_FIT_MD}`, `{F.LA_FIT_CSV}` and `{F.LA_FIT_PNG}`.")
    lines.append("")
    return "\n".join(lines)
