"""Levers ranked with and without costs: two twin sweep stores side by side."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import sweep_hooks

from sendabm.experiments.ranking import rank, write_ranking
from sendabm.experiments.sweep import SweepError, parse_spec
from sendabm.experiments.sweep_run import run_sweep
from sendabm.presentation.ranking_figures import draw

ROOT = Path(__file__).resolve().parents[1]


def spec(name, samples=30):
    return parse_spec({
        "sweep": {"name": name, "design": "lhs", "samples": samples, "replications": 2,
                  "seed": 9, "scale": 0.001, "end": "2015-06", "policy_start": "2015-01"},
        "levers": [{"name": name, "range": [0.0, 1.0]} for name in sweep_hooks.WEIGHTS],
        "uncertainties": [{"name": "trust_learning_rate", "range": [0.04, 0.16]}],
        "outcomes": {"names": ["adversarial_index", "cumulative_deficit_gbp"]}})


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    root = tmp_path_factory.mktemp("rank")
    run_sweep(spec("costed"), root / "costed", workers=1, run_function=sweep_hooks.linear)
    run_sweep(spec("free"), root / "free", workers=1, run_function=sweep_hooks.linear_free)
    return root / "costed", root / "free"


def test_ranking_sets_each_lever_beside_its_uncosted_twin(twins, tmp_path):
    ranking = rank(*twins)
    # Uncertainties are not levers; every lever is ranked on every outcome.
    assert ranking.levers == list(sweep_hooks.WEIGHTS)
    assert len(ranking.rows) == 2 * len(sweep_hooks.WEIGHTS)
    rows = {(r["outcome"], r["lever"]): r for r in ranking.rows}
    # costed: right_first_time (3) > workforce (1) > core_offer (0); free: core_offer
    # weighs 2, so it overtakes workforce.
    row = rows["adversarial_index", "core_offer"]
    assert row["rank_costed"] == 3 and row["rank_free"] == 2 and row["change"] < 0
    assert rows["adversarial_index", "right_first_time"]["rank_costed"] == 1
    out = tmp_path / "ranking"
    write_ranking(ranking, out, figure=draw)
    with (out / "ranking.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(ranking.rows)
    assert "## adversarial_index" in (out / "ranking.md").read_text()
    assert (out / "ranking.png").stat().st_size > 0


def test_ranking_refuses_stores_that_are_not_twins(twins, tmp_path):
    other = tmp_path / "other"
    run_sweep(spec("other", samples=20), other, workers=1, run_function=sweep_hooks.linear)
    with pytest.raises(SweepError, match="not twins.*'samples'"):
        rank(twins[0], other)
    done = subprocess.run([sys.executable, "-m", "sendabm.cli", "rank", str(twins[0]),
                           str(other), "--out", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
