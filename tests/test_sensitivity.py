"""Sensitivity indices from a store: Sobol, Morris, the SRC fallback, the report."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import sweep_hooks

from sendabm.experiments.sensitivity import analyse, noise_share, write_sensitivity
from sendabm.experiments.sweep import SweepError, parse_spec
from sendabm.experiments.sweep_run import run_sweep

ROOT = Path(__file__).resolve().parents[1]


def spec(design, samples, replications=2):
    return parse_spec({
        "sweep": {"name": design, "design": design, "samples": samples,
                  "replications": replications, "seed": 9, "scale": 0.001, "end": "2015-06",
                  "policy_start": "2015-01"},
        "levers": [{"name": name, "range": [0.0, 1.0]} for name in sweep_hooks.WEIGHTS],
        "outcomes": {"names": ["adversarial_index", "cumulative_deficit_gbp"]}})


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("sens")
    out = {}
    for design, samples in (("sobol", 64), ("morris", 10), ("lhs", 40)):
        out[design] = root / design
        run_sweep(spec(design, samples), out[design], workers=1,
                  run_function=sweep_hooks.linear)
    return out


@pytest.mark.parametrize("design, index", [("sobol", "ST"), ("morris", "mu_star"),
                                           ("lhs", "src")])
def test_indices_rank_the_inputs_by_their_effect(stores, design, index):
    result = analyse(stores[design])
    assert result.method == {"lhs": "src"}.get(design, design)
    for outcome in result.outcomes:
        ranked = [name for name, _, _ in result.ranking(outcome)]
        assert ranked == ["right_first_time", "workforce", "core_offer"]
        assert 0.0 <= result.noise_share[outcome] < 0.01
        rows = [r for r in result.rows if r["outcome"] == outcome and r["index"] == index]
        assert len(rows) == 3 and all(r["conf"] >= 0 for r in rows)


def test_sobol_indices_match_the_linear_model(stores):
    result = analyse(stores["sobol"])
    st = {r["input"]: r["value"] for r in result.rows
          if r["outcome"] == "adversarial_index" and r["index"] == "ST"}
    assert st["right_first_time"] == pytest.approx(0.9, abs=0.1)  # 9 / (9 + 1)
    assert st["workforce"] == pytest.approx(0.1, abs=0.05)
    assert abs(st["core_offer"]) < 0.02


def test_lhs_store_falls_back_to_src_and_says_so(stores, tmp_path):
    result = analyse(stores["lhs"])
    write_sensitivity(result, tmp_path / "out")
    text = (tmp_path / "out" / "sensitivity.md").read_text(encoding="utf-8")
    assert "Standardised regression coefficients" in text and "noise share" in text
    with open(tmp_path / "out" / "sensitivity.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["method"] for r in rows} == {"src"}
    assert {"src", "r2", "noise_share"} == {r["index"] for r in rows}
    assert (tmp_path / "out" / "sensitivity.png").stat().st_size > 10_000
    with pytest.raises(SweepError, match="needs a sobol design"):
        analyse(stores["lhs"], method="sobol")


def test_noise_share():
    import numpy as np

    same = np.array([[1.0, 1.0], [3.0, 3.0]])
    noisy = np.array([[1.0, 3.0], [1.0, 3.0]])
    assert noise_share(same) == 0.0
    assert noise_share(noisy) == pytest.approx(1.5)  # 2 / (4/3): all spread is noise
    assert np.isnan(noise_share(np.ones((3, 1))))


def test_cli_sensitivity_writes_the_table_and_figure(stores, tmp_path):
    out = tmp_path / "cli"
    done = subprocess.run([sys.executable, "-m", "sendabm.cli", "sensitivity",
                           str(stores["morris"]), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {"sensitivity.csv", "sensitivity.md",
                                              "sensitivity.png"}
    bad = subprocess.run([sys.executable, "-m", "sendabm.cli", "sensitivity",
                          str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
