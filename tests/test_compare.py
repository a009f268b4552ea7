"""``sendabm compare``: paired replications with common random numbers, the outcome table,
its statistics, worker-count independence, the comparison folder and the command line."""

from __future__ import annotations

import csv
import datetime
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sendabm.core import calendar
from sendabm.core.scenario import ScenarioError, baseline_path, load_scenario
from sendabm.experiments.compare import compare, plan_runs
from sendabm.experiments.compare_folder import check_compare_out_dir, write_comparison
from sendabm.experiments.ensemble import SERIES, SERIES_SCHEMA, read_series
from sendabm.experiments.outcomes import OUTCOMES, Outcome
from sendabm.experiments.paired import TABLE_COLUMNS, mean_interval, paired_row, t_quantile
from sendabm.experiments.results import ResultsError
from sendabm.experiments.run import run_scenario

ROOT = Path(__file__).resolve().parents[1]
SCALE, END, SEEDS, POLICY_START = 0.001, "2015-08", 2, "2015-03"
POLICY_TOML = f"""\
[scenario]
name = "no_tribunal"
description = "The baseline, then the tribunal is removed."
inherits = "base.toml"

[[policies]]
name = "tribunal"
start = "{POLICY_START}"
mode = "remove"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    base = folder / "base.toml"
    base.write_bytes(baseline_path().read_bytes())
    policy = folder / "no_tribunal.toml"
    policy.write_text(POLICY_TOML, encoding="utf-8")
    return base, policy


@pytest.fixture(scope="module")
def result(files):
    base, policy = files
    return compare(load_scenario(base), [load_scenario(policy)], seeds=SEEDS, scale=SCALE,
                   end=END, workers=1)


def _row(result, outcome):
    rows = [r for r in result.table if r["outcome"] == outcome]
    assert len(rows) == 1
    return rows[0]


def test_table_has_a_row_for_every_outcome(result):
    assert result.base == "baseline" and result.policies == ["no_tribunal"]
    assert [r["outcome"] for r in result.table] == [o.name for o in OUTCOMES]
    assert all(list(r) == list(TABLE_COLUMNS) for r in result.table)
    assert {r["group"] for r in result.table} == {"headline", "equity"}
    for quintile in ("q1", "q5", "gap"):
        assert any(r["outcome"] == f"mean_unmet_need_{quintile}" for r in result.table)
    # A ratio is missing from a run whose window saw no denominator (at scale 0.001 a run
    # can issue no plan in the window); counts and money never are.
    assert all(1 <= r["n"] <= SEEDS for r in result.table)
    assert all(r["n"] == SEEDS for r in result.table
               if r["outcome"] in ("ehc_plans", "appeals_registered", "cumulative_deficit_gbp"))


def test_seeds_and_window(result):
    assert result.seeds == [1, 2]  # the base scenario's seed + 0..N-1
    assert (result.window.start, result.window.end) == (POLICY_START, END)
    assert result.window.months == 6 and result.window.mean_months == 6
    assert result.dates[result.window.first] == calendar.date_of(calendar.tick_of(POLICY_START))


def test_removing_the_tribunal_stops_appeals(result, files):
    base_values = result.values["baseline"]["appeals_registered"]
    policy_values = result.values["no_tribunal"]["appeals_registered"]
    assert np.all(policy_values == 0)
    # The base values are those of ordinary single runs with the same seeds.
    first = result.window.first
    for k, seed in enumerate(result.seeds):
        scen = load_scenario(files[0]).with_overrides(run={"seed": seed, "scale": SCALE,
                                                           "end": END})
        run = run_scenario(scen, figures=False)
        assert base_values[k] == run.national["appeals_registered"][first:].sum()
    assert base_values.sum() > 0, "no appeals in the base: the test has no teeth"
    row = _row(result, "appeals_registered")
    assert row["diff_mean"] == pytest.approx(-base_values.mean())
    assert row["policy_mean"] == 0
    # Fewer appeals is not scored as better: the tribunal's removal closes the route.
    assert row["direction"] == "contested" and math.isnan(row["share_better"])
    assert row["diff_pct"] == pytest.approx(-100.0)


def test_series_identical_before_the_policy_starts(result):
    first = result.window.first
    assert first > 0
    for name, base_runs in result.series["baseline"].items():
        policy_runs = result.series["no_tribunal"][name]
        np.testing.assert_array_equal(base_runs[:, :first], policy_runs[:, :first],
                                      err_msg=f"{name} differs before the policy starts")
    for name, base_runs in result.quintiles["baseline"].items():
        np.testing.assert_array_equal(base_runs[:, :first],
                                      result.quintiles["no_tribunal"][name][:, :first])
    # ...and the policy does change something afterwards.
    assert not np.array_equal(result.series["baseline"]["appeals_registered"],
                              result.series["no_tribunal"]["appeals_registered"])


def test_results_do_not_depend_on_the_worker_count(result, files):
    base, policy = files
    parallel = compare(load_scenario(base), [load_scenario(policy)], seeds=SEEDS, scale=SCALE,
                       end=END, workers=2)
    assert parallel.workers == 2
    assert len(parallel.table) == len(result.table)
    for serial_row, parallel_row in zip(result.table, parallel.table, strict=True):
        for key in TABLE_COLUMNS:
            a, b = serial_row[key], parallel_row[key]
            assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), key


def test_statistics():
    assert t_quantile(1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(9) == pytest.approx(2.262, abs=1e-3)
    mean, low, high = mean_interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0 and high - mean == pytest.approx(4.303 * 1.0 / math.sqrt(3), rel=1e-3)
    assert math.isnan(mean_interval(np.array([5.0]))[1])
    lower = Outcome("x", "x", "headline", "lower", "count", "sum")
    row = paired_row("p", lower, np.array([10.0, 10.0, 10.0, 10.0]),
                     np.array([8.0, 9.0, 10.0, 12.0]))
    assert row["diff_mean"] == pytest.approx(-0.25)
    assert row["share_better"] == 0.5 and row["n"] == 4
    assert row["diff_pct"] == pytest.approx(-2.5)
    gap = Outcome("g", "g", "equity", "nearer_zero", "count", "sum")
    two = np.array([-4.0, 2.0]), np.array([1.0, -3.0])
    assert paired_row("p", gap, *two)["share_better"] == 0.5  # |1| < |-4|, |-3| > |2|
    neutral = Outcome("n", "n", "headline", "neutral", "count", "last")
    assert paired_row("p", neutral, np.array([1.0, 1.0]), np.array([2.0, 1.0]))[
        "share_better"] == 0.5
    with_nan = paired_row("p", lower, np.array([1.0, np.nan]), np.array([0.0, 1.0]))
    assert with_nan["n"] == 1 and math.isnan(with_nan["diff_low95"])


def test_bad_arguments_fail_before_running(files):
    base, policy = load_scenario(files[0]), load_scenario(files[1])
    with pytest.raises(ScenarioError, match="--seeds"):
        compare(base, [policy], seeds=0, scale=SCALE, end=END)
    with pytest.raises(ScenarioError, match="--workers"):
        compare(base, [policy], seeds=1, scale=SCALE, end=END, workers=0)
    with pytest.raises(ScenarioError, match="both named"):
        compare(base, [base], seeds=1, scale=SCALE, end=END)
    with pytest.raises(ScenarioError, match="outside the run, which spans 2014-09 to 2015-01"):
        compare(base, [policy], seeds=1, scale=SCALE, end="2015-01")
    with pytest.raises(ScenarioError, match="scale"):
        compare(base, [policy], seeds=1, scale=5.0, end=END)


def test_write_comparison_refuses_a_foreign_folder(result, tmp_path):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(ResultsError, match="compare.json"):
        write_comparison(result, foreign)
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]
    out = write_comparison(result, tmp_path / "cmp")
    check_compare_out_dir(out)  # a comparison folder may be replaced
    write_comparison(result, out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


@pytest.fixture(scope="module")
def series_path(result, tmp_path_factory) -> Path:
    return write_comparison(result, tmp_path_factory.mktemp("cmp") / "out") / SERIES


def test_series_dates_are_timestamps_in_pyarrow_and_pandas(result, series_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = result.dates[0]
    days = pq.read_table(series_path).column("date")
    assert days.type == SERIES_SCHEMA.field("date").type == pa.timestamp("ms")
    assert pa.compute.min(days).as_py() == datetime.datetime(first.year, first.month, 1)
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(series_path)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert set(frame["date"].dt.day) == {1}
    assert (frame["date"] == pd.Timestamp(first)).sum() == (
        frame["date"] == first.isoformat()).sum() > 0


def test_series_dates_are_datetimes_in_polars(series_path):
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(series_path).schema["date"] == polars.Datetime("ms")


def test_series_round_trip_and_date32_series_still_read(result, series_path, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    back = read_series(series_path)
    assert back.dates == list(result.dates)
    table = pq.read_table(series_path)
    index = table.schema.get_field_index("date")
    old = tmp_path / SERIES
    pq.write_table(table.set_column(index, "date", pa.compute.cast(table.column("date"),
                                                                   pa.date32())), old)
    before = read_series(old)
    assert before.dates == back.dates and before.seeds == back.seeds
    for name in back.scenarios:
        for measure, values in back.national[name].items():
            np.testing.assert_array_equal(before.national[name][measure], values)


# --------------------------------------------------------------------------- command line


def sendabm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sendabm.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_writes_the_comparison_folder(files, tmp_path):
    base, policy = files
    out = tmp_path / "cmp"
    done = sendabm("compare", str(base), str(policy), "--seeds", "2", "--scale", str(SCALE),
                   "--end", END, "--out", str(out), "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    for name in ("comparison.csv", "comparison.md", "compare.json", "replications.csv",
                 "compare_national.png", "compare_equity.png"):
        assert (out / name).is_file(), f"{name} missing"
    for name in ("compare_national.png", "compare_equity.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((out / "compare.json").read_text())
    assert manifest["seeds"] == [1, 2] and manifest["scale"] == SCALE
    assert manifest["end"] == END and manifest["window"]["start"] == POLICY_START
    assert manifest["base"]["name"] == "baseline"
    assert manifest["base"]["hash"] == load_scenario(base).hash()
    assert [p["name"] for p in manifest["policies"]] == ["no_tribunal"]
    assert manifest["git_commit"] and manifest["version"]
    with (out / "comparison.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == TABLE_COLUMNS
    appeals = next(r for r in rows if r["outcome"] == "appeals_registered")
    assert float(appeals["policy_mean"]) == 0 and appeals["direction"] == "contested"
    assert appeals["share_better"] == ""  # NaN: not scored
    text = (out / "comparison.md").read_text()
    line = next(row for row in text.splitlines() if row.startswith("| Appeals registered |"))
    assert line.endswith("| contested | not scored |"), line
    assert text.index("Adversarial index") < text.index("Appeals registered") < text.index(
        "Mean trust in the LA") < text.index("### Equity")
    # An earlier comparison in the same folder is replaced.
    again = sendabm("compare", str(base), str(policy), "--seeds", "1", "--scale", str(SCALE),
                    "--end", END, "--out", str(out), "--workers", "1", "--quiet",
                    "--no-figures")
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "compare.json").read_text())["seeds"] == [1]


@pytest.mark.parametrize("problem", ["missing_policy", "zero_seeds", "foreign_out"])
def test_cli_bad_input_exits_2_with_one_line(files, tmp_path, problem):
    base, policy = files
    out = tmp_path / "out"
    args = ["compare", str(base), str(policy), "--seeds", "2", "--scale", str(SCALE),
            "--end", END, "--out", str(out), "--quiet"]
    if problem == "missing_policy":
        args[2] = str(tmp_path / "nope.toml")
    elif problem == "zero_seeds":
        args[4] = "0"
    else:
        out.mkdir()
        (out / "data.txt").write_text("keep")
    done = sendabm(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sendabm: error:"), done.stderr
    expected = {"missing_policy": "nope.toml", "zero_seeds": "--seeds",
                "foreign_out": "compare.json"}[problem]
    assert expected in lines[0]
    if problem == "foreign_out":
        assert sorted(p.name for p in out.iterdir()) == ["data.txt"]
    else:
        assert not out.exists()


def test_runs_end_at_the_latest_end_among_the_scenarios():
    # The experiments' policy files run to 2030-08, the baseline to 2025-08.
    scenarios = ROOT / "experiments" / "scenarios"
    base = load_scenario(scenarios / "baseline.toml")
    policy = load_scenario(scenarios / "tribunal_remove.toml")
    assert base.run["end"] < policy.run["end"]
    shared, _, window, _ = plan_runs(base, [policy], 3)
    assert {s.run["end"] for s in shared} == {policy.run["end"]}
    assert window.end == policy.run["end"]
    assert plan_runs(base, [policy], 3, end="2028-08")[2].end == "2028-08"


def test_compare_takes_scenario_files_as_str_or_path(files):
    base, policy = files
    result = compare(str(base), [policy], seeds=1, scale=SCALE, end="2015-04", workers=1)
    assert (result.base, result.policies) == ("baseline", ["no_tribunal"])


def test_a_script_without_a_main_guard_gets_a_one_line_error(files, tmp_path):
    base, policy = files
    script = tmp_path / "unguarded.py"
    script.write_text("from sendabm.experiments.compare import compare\n"
                      f"compare({str(base)!r}, [{str(policy)!r}], seeds=2, scale={SCALE}, "
                      f"end='2015-04', workers=2)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "PoolError: unguarded.py line 2" in last and 'if __name__ == "__main__":' in last
    assert "workers=1" in last and "BrokenProcessPool" not in done.stderr
