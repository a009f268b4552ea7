"""An appraisal's folder (``sendabm appraise --out DIR``), written whole or not at all.

Files:

- ``runs.csv``: one row per design point x arm (``base`` first): the point, its seed, the
  value of every option and uncertainty, and the outcomes (England scale);
- ``effects.csv``: one row per policy x outcome
  (:data:`sendabm.experiments.appraise.EFFECT_COLUMNS`);
- ``cost.csv``: one row per policy (:data:`sendabm.experiments.appraise.COST_COLUMNS`);
- ``appraisal.md``: the same, readable; ``appraisal.png``: the figure, if drawn;
- ``appraisal.json``: the specification, the seeds, the package version, the machine and
  the wall time (its presence marks the folder as an appraisal, replaceable by another).
"""

from __future__ import annotations

import csv
import json
import math
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sendabm.core.measures import MEASURES
from sendabm.experiments.appraise import (
    COST_COLUMNS,
    EFFECT_COLUMNS,
    Appraisal,
    costs,
    effects,
)
from sendabm.experiments.compare_folder import format_value
from sendabm.experiments.outcomes import number_format
from sendabm.experiments.results import check_folder, format_float, write_folder

MARKER = "appraisal.json"
RUNS_CSV, EFFECTS_CSV, COST_CSV, SUMMARY_MD = ("runs.csv", "effects.csv", "cost.csv",
                                               "appraisal.md")
FigureWriter = Callable[[Appraisal, list[dict[str, Any]], Path], list[str]]


def check_appraisal_out_dir(out_dir: Path) -> None:
    """Raise ResultsError unless ``out_dir`` is absent, empty or an earlier appraisal."""
    check_folder(out_dir, MARKER, "appraisal")


def write_appraisal(appraisal: Appraisal, out_dir: Path,
                    figures: FigureWriter | None = None) -> Path:
    """Write the appraisal's folder atomically; returns ``out_dir``.

    Args:
        appraisal: The finished runs.
        out_dir: Folder to create (absent, empty or an earlier appraisal, replaced only
            once the new one is complete).
        figures: Draws the figure into the folder and returns its file names
            (:func:`sendabm.presentation.appraisal_figures.draw`); None for none.
    """
    effect_rows, cost_rows = effects(appraisal), costs(appraisal)

    def write(folder: Path) -> None:
        files = [RUNS_CSV, EFFECTS_CSV, COST_CSV, SUMMARY_MD]
        _write_runs(appraisal, folder / RUNS_CSV)
        _write_rows(effect_rows, EFFECT_COLUMNS, folder / EFFECTS_CSV)
        _write_rows(cost_rows, COST_COLUMNS, folder / COST_CSV)
        (folder / SUMMARY_MD).write_text(
            summary_markdown(appraisal, effect_rows, cost_rows), encoding="utf-8")
        if figures is not None:
            files += figures(appraisal, effect_rows, folder)
        files.append(MARKER)
        (folder / MARKER).write_text(json.dumps(_manifest(appraisal, files), indent=2,
                                                sort_keys=True) + "\n", encoding="utf-8")

    return write_folder(Path(out_dir), check_appraisal_out_dir, write)


def _cell(value: Any) -> Any:
    return format_float(float(value)) if isinstance(value, float) else value


def _write_rows(rows: list[dict[str, Any]], columns: tuple[str, ...], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in columns])


def _write_runs(appraisal: Appraisal, path: Path) -> None:
    factors = [f.name for f in appraisal.spec.factors]
    outcomes = list(appraisal.spec.outcomes)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["point", "arm", "seed", *factors, *outcomes])
        for point, (seed, varied) in enumerate(zip(appraisal.seeds, appraisal.inputs,
                                                   strict=True)):
            for arm in appraisal.arm_names:
                values = appraisal.values[arm]
                writer.writerow([point, arm, seed, *(_cell(varied[f]) for f in factors),
                                 *(_cell(float(values[o][point])) for o in outcomes)])


def _manifest(appraisal: Appraisal, files: list[str]) -> dict[str, Any]:
    import sendabm

    return {"kind": "appraisal", "spec": appraisal.spec.to_dict(),
            "seeds": [int(s) for s in appraisal.seeds], "files": files,
            "sendabm_version": getattr(sendabm, "__version__", "unknown"),
            "machine": {"python": platform.python_version(), "system": platform.system(),
                        "processor": platform.machine()},
            "wall_time_seconds": round(appraisal.wall_time_seconds, 1)}


# --------------------------------------------------------------------------- summary


def _value(value: float, outcome: str, signed: bool = False) -> str:
    return format_value(value, number_format(MEASURES[outcome]), signed=signed)


def _percent(p: float) -> str:
    return "n/a" if not math.isfinite(p) else f"{100 * p:.0f}%"


def summary_markdown(appraisal: Appraisal, effect_rows: list[dict[str, Any]],
                     cost_rows: list[dict[str, Any]]) -> str:
    """The readable summary ``appraisal.md``."""
    spec = appraisal.spec
    varied = [f"`{f.name}` {_span(f)}" for f in spec.factors]
    lines = [f"# Appraisal: {spec.name}", ""]
    if spec.question:
        lines += [spec.question, ""]
    lines += [
        f"- **Design:** {spec.samples} points of a Latin hypercube over "
        f"{', '.join(varied)}; at each point the base (no policy) and "
        f"{', '.join(a.name for a in spec.arms)} run with the same seed and the same values "
        "(common random numbers).",
        f"- **Runs:** September 2014 to {spec.end} at scale {spec.scale:g}; every policy from "
        f"{spec.policy_start}; counts and money at England scale. Flows are summed over the "
        "policy window, stocks taken at its end, means averaged over its last 12 months.",
        "- **Change** is policy − base at each point: the median and the 5th–95th "
        "percentiles across points. **P(improves)** is the share of points where the "
        "policy moves the outcome the better way, with a 95% Wilson interval; contested "
        "outcomes are not scored. **Decided by** is a depth-2 classification tree's first "
        "split of the points where it improves from those where it does not, with the "
        "tree's accuracy against always guessing the commoner answer: where the two are "
        "close, no assumption decides the sign beyond the runs' chance events.",
        "- **Cost per child helped** is the extra SEND spend a year (every payer the model "
        "charges; docs/policies.md says which levers have a payer) over the fall in "
        "children whose need is not fully met at the window's end (ratio of means, "
        "bootstrap 95% interval).",
        "",
    ]
    by_policy: dict[str, list[dict[str, Any]]] = {}
    for row in effect_rows:
        by_policy.setdefault(row["policy"], []).append(row)
    cost_of = {row["policy"]: row for row in cost_rows}
    for arm in spec.arms:
        own = [f"`{o.factor.name}`" for o in spec.options if arm.name in o.arms]
        options = f"; options varied: {', '.join(own)}" if own else "; no option varied"
        lines += [f"## {arm.name}", "", f"Inputs: {_inputs_text(arm.inputs)}{options}.", "",
                  "| Outcome | Base (median) | Change: median [5%, 95%] | P(improves) [95%] "
                  "| Decided by |", "|---|---:|---:|---:|---|"]
        for row in by_policy.get(arm.name, []):
            lines.append(_effect_line(row))
        lines += ["", _cost_text(cost_of[arm.name]), ""]
    return "\n".join(lines)


def _span(factor: Any) -> str:
    if factor.choices is not None:
        return "{" + ", ".join(map(str, factor.choices)) + "}"
    return f"[{factor.low:g}, {factor.high:g}]"


def _inputs_text(inputs: dict[str, Any]) -> str:
    return ", ".join(f"`{k} = {v!r}`" for k, v in inputs.items())


def _effect_line(row: dict[str, Any]) -> str:
    o = row["outcome"]
    change = (f"{_value(row['diff_median'], o, True)} [{_value(row['diff_p05'], o, True)}, "
              f"{_value(row['diff_p95'], o, True)}]")
    if math.isfinite(row["p_improves"]):
        p = (f"{_percent(row['p_improves'])} [{_percent(row['p_low95'])}, "
             f"{_percent(row['p_high95'])}]")
        decided = row["rule"]
        if math.isfinite(row["tree_accuracy"]):
            decided += (f" (tree right on {_percent(row['tree_accuracy'])} of points, "
                        f"guessing {_percent(row['majority_accuracy'])})")
    else:
        p, decided = "not scored", "—"
    return (f"| {MEASURES[o].label} | {_value(row['base_median'], o)} | {change} | {p} "
            f"| {decided} |")


def _cost_text(row: dict[str, Any]) -> str:
    gbp = "spend_low95", "spend_high95"
    spend = (f"{format_value(row['extra_spend_gbp_per_year'], 'gbp', signed=True)} a year "
             f"[{format_value(row[gbp[0]], 'gbp', signed=True)}, "
             f"{format_value(row[gbp[1]], 'gbp', signed=True)}]")
    helped = (f"{row['children_helped']:+,.0f} children helped "
              f"[{row['helped_low95']:+,.0f}, {row['helped_high95']:+,.0f}]")
    cost = row["cost_per_child_helped_gbp"]
    if not math.isfinite(cost):
        per = "no cost per child helped: on average it helps no child"
    elif cost < 0:
        per = "on average it saves money and helps children (no cost per child helped)"
    else:
        per = (f"£{cost:,.0f} a year per child helped "
               f"[£{row['cost_low95']:,.0f}, £{row['cost_high95']:,.0f}]")
    return f"**Cost:** extra SEND spend {spend}; {helped}; {per}."

