"""Engines: serial, process pool and Dask give identical stores; a lost Dask worker."""

import os
from pathlib import Path

import pytest
import sweep_hooks

from sendabm.experiments import store
from sendabm.experiments.sweep import SweepError, parse_spec
from sendabm.experiments.sweep_run import run_sweep

TESTS = str(Path(__file__).resolve().parent)

MODEL = {"sweep": {"name": "engines", "design": "lhs", "samples": 3, "replications": 2,
                   "seed": 21, "scale": 0.001, "end": "2015-06", "policy_start": "2015-01"},
         "levers": [{"name": "right_first_time", "range": [0.0, 1.0]},
                    {"name": "tribunal__mode", "choices": ["keep", "remove"]}],
         "uncertainties": [{"name": "trust_learning_rate", "range": [0.04, 0.16]}]}

FAKE = {"sweep": {"name": "lost", "design": "lhs", "samples": 4, "replications": 2,
                  "seed": 5, "scale": 0.001, "end": "2015-06", "policy_start": "2015-01"},
        "levers": [{"name": "right_first_time", "range": [0.0, 1.0]},
                   {"name": "workforce", "range": [0.0, 1.0]}]}


@pytest.fixture
def worker_path(monkeypatch):
    """Let Dask worker processes import the test hooks."""
    paths = [TESTS, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.mark.slow
def test_serial_pool_and_dask_stores_are_identical(tmp_path):
    spec = parse_spec(MODEL)
    run_sweep(spec, tmp_path / "serial", workers=1)
    run_sweep(spec, tmp_path / "pool", engine="local", workers=2)
    run_sweep(spec, tmp_path / "dask", engine="dask", workers=2)
    serial = store.load(tmp_path / "serial")
    assert serial.num_rows == 6
    assert store.load(tmp_path / "pool").equals(serial)
    assert store.load(tmp_path / "dask").equals(serial)
    assert store.read_manifest(tmp_path / "dask") == store.read_manifest(tmp_path / "serial")


def test_a_lost_dask_worker_loses_nothing(tmp_path, monkeypatch, worker_path):
    marker = tmp_path / "killed-once"
    monkeypatch.setenv("SENDABM_TEST_MARKER", str(marker))
    spec = parse_spec(FAKE)
    summary = run_sweep(spec, tmp_path / "dask", engine="dask", workers=2,
                        run_function=sweep_hooks.kill_worker_once)
    assert marker.exists(), "the worker was never killed"
    assert (summary.done, summary.failed) == (8, 0)
    run_sweep(spec, tmp_path / "serial", workers=1, run_function=sweep_hooks.linear)
    lost = store.load(tmp_path / "dask")
    assert lost.column("run_id").to_pylist() == list(range(8))
    assert lost.equals(store.load(tmp_path / "serial"))
    assert not list((tmp_path / "dask").rglob("*.tmp"))


def test_engine_options_are_checked(tmp_path):
    spec = parse_spec(FAKE)
    with pytest.raises(SweepError, match="--workers"):
        run_sweep(spec, tmp_path / "s", workers=0)
    with pytest.raises(SweepError, match="--engine"):
        run_sweep(spec, tmp_path / "s", engine="slurm")
    with pytest.raises(SweepError, match="--scheduler needs"):
        run_sweep(spec, tmp_path / "s", engine="local", scheduler="tcp://x:1")


def test_an_existing_dask_cluster_by_address(tmp_path, worker_path):
    from dask.distributed import LocalCluster

    spec = parse_spec(FAKE)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        summary = run_sweep(spec, tmp_path / "remote", engine="dask",
                            scheduler=cluster.scheduler_address,
                            run_function=sweep_hooks.linear)
    assert (summary.done, summary.failed) == (8, 0)
    run_sweep(spec, tmp_path / "serial", workers=1, run_function=sweep_hooks.linear)
    assert store.load(tmp_path / "remote").equals(store.load(tmp_path / "serial"))
