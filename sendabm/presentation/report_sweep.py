"""The report of a sweep store, or of a folder of its sensitivity results.

See :mod:`sendabm.presentation.report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sendabm.experiments.results import ResultsError
from sendabm.presentation import sweep_figures as sf
from sendabm.presentation.report_base import (
    Report,
    Section,
    copy_figure,
    guarded,
    read_csv_rows,
    read_json,
)

FIX = "re-run `sendabm sweep` (and `sendabm sensitivity`) to regenerate it"


def build_sweep(folder: Path, out: Path) -> Report:
    """Draw a sweep's figures into ``out`` and describe them.

    A store (``manifest.json`` + ``runs/``) gives the outcome distributions and the
    outcomes against the inputs; ``sensitivity.csv`` (in the folder, or in the store's
    ``sensitivity/`` folder) gives the sensitivity indices.

    Raises:
        ResultsError: A file of the sweep is missing or cannot be read.
        SweepError: The store cannot be loaded.
    """
    is_store = (folder / "runs").is_dir()
    name = "manifest.json" if is_store else "store_manifest.json"
    manifest = guarded(folder / name, "sweep manifest", FIX, read_json) \
        if (folder / name).is_file() or is_store else {}
    spec = manifest.get("spec", {})
    if not isinstance(spec, dict):
        raise ResultsError(f"sweep manifest '{folder / name}' has no valid spec; {FIX}")
    sections = [Section("Design", _design_text(spec), None, _design_table(spec))]
    if is_store:
        sections += _run_sections(folder, out, spec)
    else:
        sections.append(Section("Outcomes across runs", "Not drawn: this folder holds a "
                                "sweep's sensitivity results but not its runs. Give the "
                                "store folder (sendabm sweep --store) for the distributions."))
    sections.append(_sensitivity_section(folder, out, spec.get("name", "sweep")))
    sections.append(Section("Map of the local areas", "Not drawn: a sweep keeps scalar "
                            "outcomes per run only. Run `sendabm report` on a run folder "
                            "for the map."))
    return Report("sweep", f"Sweep: {spec.get('name', folder.name)}", _facts(manifest),
                  sections)


def _run_sections(folder: Path, out: Path, spec: dict[str, Any]) -> list[Section]:
    from sendabm.experiments.store import load

    table = load(folder)
    runs = {name: table.column(name).to_numpy(zero_copy_only=False)
            for name in table.column_names}
    outcomes = [o for o in spec.get("outcomes", []) if o in runs]
    inputs = [f["name"] for f in spec.get("factors", []) if f["name"] in runs]
    title = f"{spec.get('name', 'sweep')}: {table.num_rows} runs"
    sections = [Section(
        "Outcomes across runs", f"The distribution of each outcome over all {table.num_rows} "
        "runs of the sweep (every design point and replication), with the median and the "
        "5th and 95th percentiles. Units as in sendabm.experiments.evaluate; money in £ billion.",
        sf.distributions_figure(runs, outcomes, f"Outcomes across runs: {title}",
                                out / "distributions.png").name)]
    if inputs and outcomes:
        sections.append(Section(
            "Outcomes against inputs", "The headline outcomes of every run against each "
            "varied input (one dot a run; choices are spread sideways to be seen).",
            sf.inputs_figure(runs, inputs, outcomes, f"Outcomes against inputs: {title}",
                             out / "inputs.png").name))
    return sections


def _sensitivity_section(folder: Path, out: Path, name: str) -> Section:
    title = "Sensitivity indices"
    for path in (folder / "sensitivity.csv", folder / "sensitivity" / "sensitivity.csv"):
        if path.is_file():
            rows = guarded(path, "sensitivity table", FIX, read_csv_rows)
            method = rows[0].get("method", "?") if rows else "?"
            figure = sf.sensitivity_figure(rows, f"Sensitivity indices ({method}): {name}",
                                           out / "sensitivity.png")
            return Section(title, "How much each input drives each outcome (sendabm "
                           f"sensitivity, method {method}), with 95% intervals. For src, "
                           "the standardised regression coefficient: the change in the "
                           "outcome, in standard deviations, per standard deviation of "
                           "the input.", figure.name)
    copied = copy_figure(folder / "sensitivity.png", out, "sensitivity.png")
    return Section(title, "Not computed yet: run `sendabm sensitivity STORE`."
                   if copied is None else "The sweep's own sensitivity figure.", copied)


def _design_text(spec: dict[str, Any]) -> str:
    if not spec:
        return "No sweep manifest in this folder."
    points = spec.get("samples", "?")
    return (f"Design {spec.get('design', '?')} with {points} samples x "
            f"{spec.get('replications', '?')} replications at scale {spec.get('scale', '?')}, "
            f"to {spec.get('end', '?')}; levers from {spec.get('policy_start', '?')}. "
            "Inputs varied:")


def _design_table(spec: dict[str, Any]) -> list[list[str]]:
    rows = [["input", "kind", "range or choices"]]
    for factor in spec.get("factors", []):
        span = factor.get("range") or factor.get("choices") or factor.get("levels") or []
        rows.append([factor.get("name", "?"), factor.get("kind", "?"),
                     " to ".join(map(str, span)) if "range" in factor
                     else ", ".join(map(str, span))])
    return rows if len(rows) > 1 else []


def _facts(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    spec = manifest.get("spec", {})
    runs = manifest.get("runs")
    n_runs = len(runs) if isinstance(runs, list) else runs
    return [
        ("Sweep", str(spec.get("name", "?"))),
        ("Base scenario", str(manifest.get("base_scenario", {}).get("name", "?"))),
        ("Runs planned", str(n_runs if n_runs is not None else "?")),
        ("Outcomes", ", ".join(spec.get("outcomes", [])) or "?"),
        ("Version, commit", f"{manifest.get('version', '?')}, "
                            f"{str(manifest.get('git_commit', '?'))[:10]}"),
    ]

