"""Backtest: each LA's 2022 as the model projects it, against a per-LA trend of its record.

LAs plan with projection tools that extrapolate their own record (cohort and Markov
forecasts of plans by age and setting). The model earns a place beside them only if it
projects an LA's next year at least as well. :func:`backtest`:

1. refits every LA's offsets on its 2019-2021 record only (from the national practice,
   all offsets 0, so nothing of 2022 reaches them), under the packaged national set;
2. runs the model to December 2022 with those offsets and takes each LA's 2022 measures
   (:data:`sendabm.experiments.la_fit.FIT_MEASURES`: plans per pupil, refusal share,
   20-week share, appeal rate, independent share, special share);
3. projects the same measures by a least-squares line through the LA's own 2019-2021
   record (plans per pupil on the log scale, so growth compounds; shares clipped to
   0-1), and by
   persistence (2021 carried forward);
4. compares both with the LA's 2022 record: median absolute error over the LAs that have
   all three, and the share of LAs where the model is closer than the trend.

The national parameters are the packaged set, calibrated on the national series to
2022: the LA offsets are held out, the national level is not (the report says so).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sendabm.core.areas import Areas, synthetic_england
from sendabm.core.dispositions import Dispositions
from sendabm.experiments import la_offsets as L
from sendabm.experiments.pool import WorkerPool
from sendabm.experiments.results import replace_files

FIT_YEARS = (2019, 2020, 2021)
"""Years of the record the offsets and the trend see."""
TARGET_YEAR = 2022
"""The year projected."""

LABELS = {
    "plans_per_pupil": "EHC plans per pupil (January)",
    "requests_per_pupil": "Requests for assessment per pupil",
    "plans_per_agreed_request": "New plans per request agreed",
    "refusal_share": "Share of requests refused",
    "share_within_20_weeks": "New plans within 20 weeks",
    "special_share": "Share of plans in special schools",
    "independent_share": "Share of plans in independent schools",
    "appeal_rate": "Appeal rate (appeals / appealable decisions)",
}
"""Measure -> label in the report."""
RELATIVE = frozenset({"plans_per_pupil", "requests_per_pupil", "plans_per_agreed_request"})
"""Measures compared relative to the record and projected on a log scale (rates that are
not shares; the others are shares, compared in points)."""


@dataclass(frozen=True)
class Backtest:
    """The backtest's projections and record, per LA unit and measure.

    Attributes:
        rows: (unit, measure, record, model, trend, persistence) for every unit and
            measure with a 2022 record and all three projections.
        seeds, scale, iterations: How the model side was run.
    """

    rows: tuple[tuple[str, str, float, float, float, float], ...]
    seeds: tuple[int, ...]
    scale: float
    iterations: int

    def errors(self, measure: str) -> dict[str, float]:
        """Median absolute error of model, trend and persistence (relative for plans),
        the share of LAs the model projects closer than the trend, and the LA count.

        A relative error is undefined where the LA's 2022 record is 0 (one LA reports no
        requests in 2022), so those LAs are left out of relative measures."""
        got = [r for r in self.rows if r[1] == measure
               and not (measure in RELATIVE and r[2] == 0)]
        if not got:
            return {}
        rec, model, trend, last = (np.array([r[k] for r in got]) for k in (2, 3, 4, 5))
        scale = rec if measure in RELATIVE else np.ones_like(rec)
        err = {name: np.abs(v - rec) / scale for name, v in
               (("model", model), ("trend", trend), ("persistence", last))}
        return {"model": float(np.median(err["model"])), "trend": float(np.median(err["trend"])),
                "persistence": float(np.median(err["persistence"])),
                "model_closer": float(np.mean(err["model"] < err["trend"])), "las": len(got)}


def trend_projection(series: dict[int, float], log: bool) -> float:
    """The least-squares line through ``year -> value`` at :data:`TARGET_YEAR`.

    Args:
        series: The LA's record by year (at least two years).
        log: Fit on the log scale (growth rates compound).
    """
    years = np.array(sorted(series), dtype=np.float64)
    values = np.array([series[int(y)] for y in years])
    if log:
        values = np.log(np.maximum(values, 1e-9))
    slope, intercept = np.polyfit(years, values, 1)
    value = slope * TARGET_YEAR + intercept
    return float(math.exp(value)) if log else float(min(1.0, max(0.0, value)))


def shipped_yearly_fields() -> list[str]:
    """The yearly fields the packaged calibration spec fits (``[las] yearly``), so the
    backtest's fit on 2019-2021 is the shipped fit's on fewer years."""
    from sendabm.experiments.calibrate import load_spec, packaged_spec_path

    return load_spec(packaged_spec_path()).las["yearly"]


def backtest(seeds: Sequence[int], scale: float, iterations: int, pool: WorkerPool,
             areas: Areas | None = None, scenario=None) -> Backtest:
    """Run the backtest (module docstring).

    Args:
        seeds: Seeds of the offsets' fit and of the projection runs.
        scale: Share of England per run.
        iterations: Fixed-point steps of the offsets' fit.
        pool: Where the runs run.
        areas: The areas (default: the built-in 152 LAs).
        scenario: The baseline scenario (default: the packaged one).
    """
    from sendabm.core.scenario import default_scenario

    areas = areas or synthetic_england()
    scen = (scenario or default_scenario()).with_overrides(
        run={"scale": scale, "end": f"{TARGET_YEAR}-12"})
    fitted = L.fit(scen, seeds, iterations, pool, start=Dispositions.none(areas.codes),
                   areas=areas, years=FIT_YEARS, fit_yearly=shipped_yearly_fields())
    model = L.model_measures(scen, fitted, seeds, (TARGET_YEAR,), pool)
    history = {y: L.record_measures(model.units, areas.names, (y,))
               for y in (*FIT_YEARS, TARGET_YEAR)}
    rows = []
    for k, unit in enumerate(model.units):
        for name in LABELS:
            want, have = history[TARGET_YEAR][name][k], model.values[name][k]
            past = {y: history[y][name][k] for y in FIT_YEARS
                    if math.isfinite(history[y][name][k])}
            if not (math.isfinite(want) and math.isfinite(have)) or len(past) < 2 \
                    or FIT_YEARS[-1] not in past:
                continue
            rows.append((unit.code, name, float(want), float(have),
                         trend_projection(past, name in RELATIVE),
                         float(past[FIT_YEARS[-1]])))
    return Backtest(tuple(rows), tuple(seeds), float(scale), int(iterations))


def report_text(result: Backtest, command: str) -> str:
    """BACKTEST.md: per measure, the errors of the model, the trend and persistence."""
    lines = ["# Backtest: each LA's 2022, projected", "",
             f"Command: `{command}`. The LA offsets were refitted on the 2019-2021 record only "
             f"({result.iterations} steps, seeds {', '.join(map(str, result.seeds))}, scale "
             f"{result.scale:g}), then the model ran to December 2022; the trend is a "
             "least-squares line through each LA's own 2019-2021 record (plans per pupil on "
             "the log scale), persistence carries 2021 forward. The national parameters are the "
             "packaged set, calibrated on the national series to 2022: only the LA level is "
             "held out (sendabm/experiments/backtest.py).", "",
             "Median absolute error over LAs (plans per pupil: relative error; shares: percentage "
             "points):", "",
             "| measure | LAs | model | trend | persistence | model closer than trend |",
             "|---|---|---|---|---|---|"]
    for name, label in LABELS.items():
        e = result.errors(name)
        if not e:
            continue
        unit = 100.0
        fmt = "{:.1f}%" if name in RELATIVE else "{:.1f} pp"
        lines.append(f"| {label} | {e['las']} | {fmt.format(unit * e['model'])} | "
                     f"{fmt.format(unit * e['trend'])} | {fmt.format(unit * e['persistence'])}"
                     f" | {100 * e['model_closer']:.0f}% of LAs |")
    return "\n".join(lines) + "\n"


def to_csv(result: Backtest) -> str:
    """backtest.csv: one row per LA unit and measure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("unit", "measure", "record_2022", "model", "trend", "persistence"))
    for row in result.rows:
        writer.writerow((row[0], row[1], *(f"{v:.6g}" for v in row[2:])))
    return out.getvalue()


def write_backtest(result: Backtest, out: Path, command: str) -> list[Path]:
    """Write BACKTEST.md and backtest.csv into ``out``, keeping its other files
    (:func:`sendabm.experiments.results.replace_files`: nothing half-written)."""
    def write(stage: Path) -> None:
        (stage / "BACKTEST.md").write_text(report_text(result, command), encoding="utf-8")
        (stage / "backtest.csv").write_text(to_csv(result), encoding="utf-8")

    return replace_files(out, write)
