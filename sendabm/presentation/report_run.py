"""The report of one run folder (see :mod:`sendabm.presentation.report`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sendabm.experiments.ensemble import Ensemble
from sendabm.experiments.results import ResultsError, RunOutput, read_run
from sendabm.presentation import areamap
from sendabm.presentation import report_figures as rf
from sendabm.presentation.report_base import Report, Section, money, number
from sendabm.presentation.style import SEPTEMBER_NOTE, save


def build_run(folder: Path, out: Path, map_measure: str | None = None) -> Report:
    """Draw a run's figures into ``out`` and describe them.

    Raises:
        ResultsError: The run folder cannot be read, or ``map_measure`` is unknown.
    """
    measure = map_measure or areamap.DEFAULT_MEASURE
    if measure not in areamap.MAP_MEASURES:
        raise ResultsError(f"unknown map measure '{measure}'; choose one of: "
                           f"{', '.join(areamap.MAP_MEASURES)}")
    output = read_run(folder)
    ens = Ensemble.from_run(output)
    sections = [
        Section("National series", "Six key national measures month by month, at England "
                "scale (sample counts divided by the scale). Appeals are summed over the "
                f"12 months to each date. {SEPTEMBER_NOTE}",
                rf.national_figure(ens, out / "national.png").name),
        Section("Placements by setting", "Children and young people with an EHC plan, by "
                f"the setting they are placed in, at the end of each month. {SEPTEMBER_NOTE}",
                rf.placements_figure(ens, out / "placements.png").name),
        Section("Dispute funnel", "Each stage of a dispute per school year (September to "
                "August): assessment requests, requests refused, mediations, appeals "
                "registered, hearings and hearings won by the family. The scale is "
                "logarithmic so that every stage can be read.",
                rf.funnel_figure(ens, out / "funnel.png").name),
        Section("Money", "High-needs spend by category per financial year (April to "
                "March), spend against the allocation, the cumulative deficit of all LAs "
                "and the number of LAs whose deficit exceeds their reserves.",
                rf.money_figure(ens, out / "money.png").name),
        Section("Equity by family resources", "Outcomes by family-resources quintile "
                "(1 = least resources) over the last 12 months of the run, and the appeal "
                "rate of each quintile over time.",
                rf.equity_figure(ens, out / "equity.png").name),
        _map_section(output, measure, out),
    ]
    title = f"Run: {output.manifest.get('scenario_name', 'unnamed scenario')}"
    return Report("run", title, _facts(output), sections)


def _map_section(output: RunOutput, measure: str, out: Path) -> Section:
    spec = areamap.MAP_MEASURES[measure]
    title = "Map of the local areas"
    areas = areamap.areas_for(output.la_names)
    if areas is None or measure not in output.panel:
        return Section(title, "Not available: the map needs the built-in 152 local areas "
                       f"and the per-LA measure '{measure}' in panel.parquet.")
    values = areamap.la_values(output.panel, measure)
    fig = areamap.area_map_figure(
        areas, values, spec.label,
        f"{spec.title}, by local area, {output.dates[-1]:%b %Y}")
    save(fig, out / "map.png")
    finite = np.isfinite(values)
    order = np.argsort(np.where(finite, values, -np.inf))[::-1][:5]
    top = ", ".join(f"{output.la_names[i]} ({number(values[i])})" for i in order if finite[i])
    return Section(title, f"{spec.label} in each of the {len(values)} local areas. Highest: "
                   f"{top}. At small scales a small LA has few children in the sample, so "
                   "its value is noisy. Choose another measure with --map.", "map.png")


def _facts(output: RunOutput) -> list[tuple[str, str]]:
    m, last = output.manifest, {k: v[-1] for k, v in output.national.items()}
    appeals = output.national.get("appeals_registered", np.array([np.nan]))[-12:]
    return [
        ("Scenario", str(m.get("scenario_name", "?"))),
        ("Months", f"{output.dates[0]:%b %Y} to {output.dates[-1]:%b %Y} ({output.n_months})"),
        ("Seed, scale", f"{m.get('seed', '?')}, {m.get('scale', '?')}"),
        ("Children with EHC plans at the end", number(last.get("ehc_plans", np.nan))),
        ("Appeals registered in the last 12 months", number(float(np.nansum(appeals)))),
        ("Cumulative deficit at the end", money(last.get("cumulative_deficit_gbp", np.nan))),
        ("LAs past their reserves at the end",
         number(last.get("las_deficit_over_reserves", np.nan))),
        ("Version, commit", f"{m.get('version', '?')}, {str(m.get('git_commit', '?'))[:10]}"),
    ]
