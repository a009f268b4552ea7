"""``sendabm report``: every figure of a run, comparison and sweep report is drawn and
non-empty, the HTML embeds them, and unusable folders fail with one line and status 2."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from sendabm.core.scenario import load_scenario
from sendabm.experiments.compare import compare
from sendabm.experiments.compare_folder import write_comparison
from sendabm.experiments.run import run_scenario
from sendabm.experiments.sweep import load_spec
from sendabm.experiments.sweep_run import run_sweep
from sendabm.presentation.report import REPORT_HTML, detect, write_report

ROOT = Path(__file__).resolve().parents[1]
SCALE, END = 0.002, "2016-08"  # two school years and a complete financial year
RUN_FIGURES = {"national.png", "placements.png", "funnel.png", "money.png", "equity.png",
               "map.png"}
POLICY_TOML = """\
[scenario]
name = "no_tribunal"
inherits = "base.toml"

[[policies]]
name = "tribunal"
start = "2015-09"
mode = "remove"
"""
SWEEP_TOML = """\
[sweep]
name = "tiny"
base = "{base}"
design = "lhs"
samples = 2
replications = 2
seed = 3
scale = 0.001
end = "2015-08"
policy_start = "2015-03"

[[levers]]
name = "inclusion_incentives"
range = [0.0, 1.0]

[[levers]]
name = "tribunal__mode"
choices = ["keep", "replace"]
"""


@pytest.fixture(autouse=True)
def low_resolution(monkeypatch):
    """Draw at 50 dpi: the figures are the same, the test several times faster."""
    monkeypatch.setattr("sendabm.presentation.style.DPI", 50)


def _check_figure(path: Path) -> None:
    """A real picture: a readable PNG of some size with many colours."""
    assert path.is_file() and path.stat().st_size > 5_000, path
    pixels = mpimg.imread(path)[..., :3].reshape(-1, 3)
    assert len(np.unique(np.round(pixels * 255), axis=0)) > 20, f"{path} is nearly blank"


def _check_report(out: Path, expected: set[str]) -> None:
    html = (out / REPORT_HTML).read_text(encoding="utf-8")
    for name in expected:
        _check_figure(out / name)
        encoded = base64.b64encode((out / name).read_bytes()).decode("ascii")
        assert encoded in html, f"{name} is not embedded in {REPORT_HTML}"
    assert html.count("<img ") == len(expected)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    scenario = load_scenario(ROOT / "experiments" / "scenarios" / "baseline.toml")
    scenario = scenario.with_overrides(run={"scale": SCALE, "end": END})
    out = tmp_path_factory.mktemp("run") / "baseline"
    run_scenario(scenario, out=out, progress=False)
    return out


def test_run_report_has_every_figure(run_folder, tmp_path):
    assert detect(run_folder) == "run"
    out, report = write_report(run_folder, tmp_path / "report", map_measure="ehc_plans")
    assert {s.figure for s in report.sections if s.figure} == RUN_FIGURES
    _check_report(out, RUN_FIGURES)


@pytest.mark.slow
def test_comparison_report_has_bands_and_outcomes(tmp_path):
    (tmp_path / "base.toml").write_bytes(
        (ROOT / "experiments" / "scenarios" / "baseline.toml").read_bytes())
    (tmp_path / "no_tribunal.toml").write_text(POLICY_TOML, encoding="utf-8")
    base, policy = (load_scenario(tmp_path / n) for n in ("base.toml", "no_tribunal.toml"))
    result = compare(base, [policy], seeds=2, scale=0.001, end="2016-08", workers=1,
                     progress=False)
    folder = write_comparison(result, tmp_path / "cmp")
    assert detect(folder) == "comparison"
    out, _ = write_report(folder)
    assert out == folder / "report"
    _check_report(out, RUN_FIGURES - {"map.png"} | {"outcomes.png"})


def test_reference_comparison_without_series_still_reports(tmp_path):
    # Comparison folders written before series.parquet existed still get a report.
    old = tmp_path / "old"
    shutil.copytree(ROOT / "results" / "tribunal" / "reference", old,
                    ignore=shutil.ignore_patterns("series.parquet"))
    out, _ = write_report(old, tmp_path / "r")
    _check_report(out, {"compare_national.png", "compare_equity.png", "outcomes.png"})


@pytest.mark.slow
def test_sweep_reports(tmp_path):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(SWEEP_TOML.format(
        base=(ROOT / "experiments" / "scenarios" / "baseline.toml").as_posix()))
    store = tmp_path / "store"
    run_sweep(load_spec(spec_file), store, workers=1, progress=False)
    assert detect(store) == "sweep"
    out, _ = write_report(store)
    _check_report(out, {"distributions.png", "inputs.png"})
    reference = ROOT / "results" / "sweeps" / "reference"
    out, _ = write_report(reference, tmp_path / "reference")
    _check_report(out, {"sensitivity.png"})


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sendabm.cli", "report", *args],
                          capture_output=True, text=True, timeout=120)


def test_unknown_or_corrupt_folders_fail_with_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "compare.json").write_text("{ not json")
    for folder in (tmp_path, corrupt, tmp_path / "missing"):
        done = _cli(str(folder))
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sendabm: error: "), done.stderr
        assert "sendabm" in lines[0].removeprefix("sendabm: error: ")  # names the fix
    assert not (corrupt / "report").exists()  # nothing half-written


def _truncated_mid_line(text: str) -> str:
    # Cut inside the first cell of the middle line, so the damage does not depend on
    # where the numbers of a regenerated reference happen to fall.
    lines = text.splitlines(keepends=True)
    return "".join(lines[: len(lines) // 2]) + lines[len(lines) // 2][:3]


def _truncated_at_a_line(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: len(lines) - 7])


def _one_row_dropped(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:10] + lines[11:])


def _one_row_twice(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:10] + [lines[11]] + lines[11:])


def _a_value_garbled(text: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[5] = lines[5].rsplit(",", 1)[0] + ",1.2.3\n"
    return "".join(lines)


@pytest.mark.parametrize("damage, reason", [
    (_truncated_mid_line, "cells, not 4"), (_truncated_at_a_line, "of the {rows}"),
    (_one_row_dropped, "{rows_less_one} of the {rows}"), (_one_row_twice, "repeats"),
    (_a_value_garbled, "not a number"), (lambda text: "", "header"),
    (lambda text: text.replace("baseline,3,", "baseline,33,", 1), "did not run")])
def test_a_damaged_replications_file_is_refused(tmp_path, capsys, damage, reason):
    from sendabm.cli import main

    folder = tmp_path / "cmp"
    shutil.copytree(ROOT / "results" / "tribunal" / "reference", folder)
    path = folder / "replications.csv"
    text = path.read_text(encoding="utf-8")
    rows = len(text.splitlines()) - 1  # the reference's rows, whatever it was regenerated with
    reason = reason.format(rows=rows, rows_less_one=rows - 1)
    path.write_text(damage(text), encoding="utf-8")
    assert main(["report", str(folder)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "replications.csv" in lines[0] and reason in lines[0], lines
    assert "re-run `sendabm compare`" in lines[0]
    assert not (folder / "report").exists()
