"""The ``sendabm`` command: a successful run writes the results contract (results/README.md);
help lists every option; bad input exits with status 2 and one line on stderr."""

from __future__ import annotations

import csv
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "experiments/scenarios/baseline.toml"

NATIONAL_COLUMNS = [
    "pupils", "sen_support", "ehc_plans", "placements_mainstream", "placements_special",
    "placements_independent", "assessment_requests", "assessments_refused", "plans_issued",
    "plans_issued_within_20_weeks", "mediations", "appeals_registered", "appeals_conceded",
    "hearings", "hearings_won_by_family", "high_needs_allocation_gbp", "high_needs_spend_gbp",
    "cumulative_deficit_gbp", "las_deficit_over_reserves", "mean_unmet_need",
    "mean_trust_in_la", "mean_trust_in_school", "adversarial_index",
]
"""The national.csv columns the results contract requires (results/README.md; written out
here, not imported)."""

RUN_OPTIONS = ["--seed", "--scale", "--end", "--out", "--areas", "--threads", "--no-figures",
               "--save-snapshot", "--snapshot-dir", "--from-snapshot",
               "--quiet", "--help"]


def sendabm(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sendabm.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "baseline-run"
    done = sendabm("run", BASELINE, "--scale", "0.001", "--end", "2015-03", "--out", str(out),
                   "--quiet")
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    return out


def test_run_writes_every_file(run_dir):
    for name in ("manifest.json", "national.csv", "panel.parquet", "summary.png"):
        assert (run_dir / name).is_file(), f"{name} missing"
    assert (run_dir / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_manifest_describes_the_run(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["scenario_name"] == "baseline"
    assert manifest["scale"] == 0.001
    assert manifest["seed"] == 1  # the scenario's seed
    assert (manifest["start"], manifest["end"]) == ("2014-09", "2015-03")
    for key in ("version", "git_commit", "scenario_hash", "wall_time_seconds"):
        assert manifest.get(key) not in (None, ""), f"manifest lacks {key}"


def test_national_csv_has_every_contract_column(run_dir):
    with (run_dir / "national.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[0] == "date"
    missing = [name for name in NATIONAL_COLUMNS if name not in header]
    assert not missing, f"national.csv lacks {missing}"
    assert [row[0] for row in body] == [
        datetime.date(2014 + (8 + m) // 12, (8 + m) % 12 + 1, 1).isoformat() for m in range(7)]
    values = {name: [float(row[header.index(name)]) for row in body] for name in header[1:]
              if name in NATIONAL_COLUMNS}
    # England scale: the sample's ~8,400 pupils are reported as ~8.4 million.
    assert all(7e6 < v < 1.1e7 for v in values["pupils"])
    assert all(v >= 0 for name in ("ehc_plans", "hearings", "high_needs_spend_gbp")
               for v in values[name])


def test_panel_is_tidy_with_quintiles(run_dir):
    table = pq.read_table(run_dir / "panel.parquet")
    assert table.column_names == ["date", "la", "quintile", "measure", "value"]
    distinct = {name: set(pc.unique(table.column(name).combine_chunks()).to_pylist())
                for name in ("quintile", "la", "measure")}
    assert distinct["quintile"] == {0, 1, 2, 3, 4, 5}
    assert len(distinct["la"]) == 152
    measures = distinct["measure"]
    assert {"ehc_plans", "high_needs_spend_gbp", "cumulative_deficit_gbp"} <= measures


def test_help_lists_every_option():
    top = sendabm("--help")
    assert top.returncode == 0
    assert "run" in top.stdout
    sub = sendabm("run", "--help")
    assert sub.returncode == 0
    missing = [option for option in RUN_OPTIONS if option not in sub.stdout]
    assert not missing, f"`sendabm run --help` does not mention {missing}"
    assert "scenario" in sub.stdout.lower()


def _assert_usage_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {done.stderr!r}"
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "nowhere.toml"
    _assert_usage_error(sendabm("run", str(missing), "--quiet"), "nowhere.toml", "not found")


def test_unknown_parameter_key(tmp_path):
    scenario = tmp_path / "typo.toml"
    scenario.write_text('[scenario]\nname = "typo"\n\n[parameters]\nneed_onsett_per_year = 0.02\n')
    _assert_usage_error(sendabm("run", str(scenario), "--quiet"), "typo.toml",
                        "need_onsett_per_year")


@pytest.mark.parametrize("option, value, words", [
    ("--scale", "5", ("scale", "5")),
    ("--end", "2014-01", ("end", "2014-01")),
    ("--end", "2025-13", ("end", "2025-13")),
])
def test_out_of_range_option(tmp_path, option, value, words):
    out = tmp_path / "never"
    done = sendabm("run", BASELINE, option, value, "--out", str(out), "--quiet")
    _assert_usage_error(done, *words)
    assert not out.exists()


@pytest.fixture
def foreign_folder(tmp_path):
    folder = tmp_path / "my-notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious\n")
    return folder


def test_out_folder_that_is_not_a_run(foreign_folder):
    done = sendabm("run", BASELINE, "--scale", "0.001", "--end", "2014-10",
                   "--out", str(foreign_folder), "--quiet")
    _assert_usage_error(done, str(foreign_folder), "not empty")
    assert [p.name for p in foreign_folder.iterdir()] == ["notes.txt"]
    assert (foreign_folder / "notes.txt").read_text() == "precious\n"
    assert not [p for p in foreign_folder.parent.iterdir() if p.name.startswith(".")]


def test_out_folder_is_checked_before_simulating(foreign_folder):
    done = sendabm("run", BASELINE, "--scale", "0.001", "--end", "2014-10",
                   "--out", str(foreign_folder))
    _assert_usage_error(done, "not empty")


def test_git_commit_marks_edited_package_source(monkeypatch):
    from sendabm.experiments import run as run_module

    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", run_module.git_commit())
    for diff_code, expected in ((0, "ab" * 20), (1, "ab" * 20 + "-dirty")):
        def fake(args, diff_code=diff_code, **kwargs):
            if args[:2] == ["git", "rev-parse"]:
                return subprocess.CompletedProcess(args, 0, stdout="ab" * 20 + "\n")
            return subprocess.CompletedProcess(args, diff_code)

        monkeypatch.setattr(run_module.subprocess, "run", fake)
        assert run_module.git_commit() == expected
