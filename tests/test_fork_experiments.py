"""Forking gives the same results bit for bit: every reference experiment
(experiments/run_experiment.py) and the example sweep, shrunk to scale 0.005 and
shortened (policies from September 2015 instead of 2026, runs to March 2016), run
with and without one shared past per seed."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sendabm.core.scenario import Scenario, from_dict, load_scenario
from sendabm.experiments import evaluate as evaluate_mod
from sendabm.experiments import store
from sendabm.experiments.compare import compare, fork_month, plan_runs
from sendabm.experiments.sweep import parse_spec, shares_pasts
from sendabm.experiments.sweep_run import run_sweep

# Whole experiments forked and run in full (about 95 s on two cores): CI runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"
SCALE = 0.005
END = "2016-03"  # a September, a March and an April after the fork
POLICY_START = "2015-09"


def _experiments() -> dict[str, tuple[str, list[str]]]:
    path = ROOT / "experiments" / "run_experiment.py"
    spec = importlib.util.spec_from_file_location("run_experiment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPERIMENTS


def shortened(scenario: Scenario) -> Scenario:
    """The scenario with its policies starting in September 2015 instead of 2026."""
    data = scenario.to_dict()
    assert all(p["start"] == "2026-09" for p in data["policies"]), scenario.name
    data["policies"] = [{**p, "start": POLICY_START} for p in data["policies"]]
    return from_dict(data)


def assert_same_comparison(a, b) -> None:
    assert a.policies == b.policies and a.seeds == b.seeds and a.dates == b.dates
    assert [_row_text(r) for r in a.table] == [_row_text(r) for r in b.table]
    for what in ("values", "series", "quintiles"):
        x, y = getattr(a, what), getattr(b, what)
        assert list(x) == list(y)
        for scenario in x:
            assert list(x[scenario]) == list(y[scenario])
            for name, array in x[scenario].items():
                other = y[scenario][name]
                assert array.shape == other.shape
                assert np.asarray(array).tobytes() == np.asarray(other).tobytes(), \
                    f"{what} {scenario} {name}"


def _row_text(row: dict) -> str:
    return repr(sorted(row.items()))  # repr: NaN equals NaN


@pytest.mark.parametrize("experiment", sorted(_experiments()))
def test_reference_experiment_same_with_forking(experiment):
    _, names = _experiments()[experiment]
    base = load_scenario(SCENARIOS / "baseline.toml")
    policies = [shortened(load_scenario(SCENARIOS / f"{name}.toml")) for name in names]
    seeds = 2 if experiment == "tribunal" else 1
    shared, _, _, starts = plan_runs(base, policies, seeds, scale=SCALE, end=END)
    assert fork_month(shared, starts) == POLICY_START  # the runs do fork
    forked = compare(base, policies, seeds, scale=SCALE, end=END, workers=1, fork=True)
    straight = compare(base, policies, seeds, scale=SCALE, end=END, workers=1, fork=False)
    assert_same_comparison(forked, straight)


def test_forking_across_worker_processes():
    base = load_scenario(SCENARIOS / "baseline.toml")
    policies = [shortened(load_scenario(SCENARIOS / "tribunal_remove.toml"))]
    forked = compare(base, policies, 2, scale=SCALE, end="2016-01", workers=2, fork=True)
    straight = compare(base, policies, 2, scale=SCALE, end="2016-01", workers=1, fork=False)
    assert_same_comparison(forked, straight)


def _example_sweep(**changes) -> dict:
    data = tomllib.loads((ROOT / "experiments" / "sweeps" / "lhs_example.toml").read_text())
    data["sweep"].update(scale=SCALE, end=END, policy_start=POLICY_START, samples=3,
                         replications=2, **changes)
    return data


def _store_rows(root: Path) -> list[str]:
    table = store.load(root).sort_by("run_id")
    return [repr(row) for row in table.to_pylist()]


@pytest.mark.parametrize("variant", ["as_given", "levers_common_seeds"])
def test_example_sweep_same_with_forking(tmp_path, variant):
    data = _example_sweep()
    if variant == "levers_common_seeds":
        # The runs of a replication then share a seed and differ only in levers: the
        # sweep simulates their past once.
        data = _example_sweep(common_seeds=True)
        data.pop("uncertainties")
    spec = parse_spec(data, "lhs_example.toml", ROOT / "experiments" / "sweeps")
    assert shares_pasts(spec) == (variant == "levers_common_seeds")
    evaluate_mod.PASTS.clear()
    hits = evaluate_mod.PASTS.hits
    run_sweep(spec, tmp_path / "forked", workers=1, fork=True)
    forked_hits = evaluate_mod.PASTS.hits - hits
    run_sweep(spec, tmp_path / "straight", workers=1, fork=False)
    assert evaluate_mod.PASTS.hits - hits == forked_hits  # the second did not fork
    # 3 points x 2 replications: each replication's past simulated once, reused twice.
    assert forked_hits == (4 if variant == "levers_common_seeds" else 0)
    assert _store_rows(tmp_path / "forked") == _store_rows(tmp_path / "straight")
    for name in ("manifest.json",):
        assert (tmp_path / "forked" / name).read_bytes() == \
            (tmp_path / "straight" / name).read_bytes()
    parts = sorted(p.name for p in store.parts(tmp_path / "forked"))
    assert parts == sorted(p.name for p in store.parts(tmp_path / "straight"))
    for name in parts:
        a = pq.read_table(tmp_path / "forked" / "runs" / name)
        b = pq.read_table(tmp_path / "straight" / "runs" / name)
        assert a.equals(b), name


def test_common_seeds_share_seeds_across_points_only_when_asked():
    from sendabm.experiments.sweep import SweepError, execution_order, make_design, plan

    spec = parse_spec(_example_sweep(), "lhs_example.toml", ROOT / "experiments" / "sweeps")
    seeds = [t.seed for t in plan(spec, make_design(spec))]
    assert len(set(seeds)) == len(seeds)  # as given: every run its own seed
    common = parse_spec(_example_sweep(common_seeds=True), "x.toml",
                        ROOT / "experiments" / "sweeps")
    tasks = list(plan(common, make_design(common)))
    assert {t.seed for t in tasks if t.replication == 0} == {tasks[0].seed}
    assert len({t.seed for t in tasks}) == common.replications
    assert not shares_pasts(common)  # parameters are varied too: nothing to share
    assert [t.run_id for t in execution_order(common, make_design(common))] == \
        [t.run_id for t in tasks]
    with pytest.raises(SweepError, match="common_seeds"):
        parse_spec(_example_sweep(common_seeds="yes"), "x.toml", ROOT / "experiments" / "sweeps")
