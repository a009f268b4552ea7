"""The run store: atomic parts, resume after kill -9, failure isolation."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sweep_hooks

from sendabm.experiments import store
from sendabm.experiments.sweep import SweepError, parse_spec
from sendabm.experiments.sweep_run import run_sweep

ROOT = Path(__file__).resolve().parents[1]

FAKE = {"sweep": {"name": "fake", "design": "lhs", "samples": 4, "replications": 2, "seed": 7,
                  "scale": 0.001, "end": "2015-06", "policy_start": "2015-01"},
        "levers": [{"name": "right_first_time", "range": [0.0, 1.0]},
                   {"name": "workforce", "range": [0.0, 1.0]},
                   {"name": "tribunal__mode", "choices": ["keep", "replace"]}],
        "outcomes": {"names": ["adversarial_index", "ehc_plans"]}}

MODEL_SPEC = """
[sweep]
name = "resume"
design = "lhs"
samples = 6
replications = 2
seed = 11
scale = 0.001
end = "2015-06"
policy_start = "2015-01"

[[levers]]
name = "right_first_time"
range = [0.0, 1.0]

[[uncertainties]]
name = "trust_learning_rate"
range = [0.04, 0.16]

[outcomes]
names = ["adversarial_index", "appeals_registered", "cumulative_deficit_gbp"]
"""


def test_parts_manifest_and_load(tmp_path):
    spec = parse_spec(FAKE)
    summary = run_sweep(spec, tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    assert (summary.total, summary.done, summary.failed) == (8, 8, 0)
    names = sorted(p.name for p in (tmp_path / "s" / "runs").iterdir())
    assert names == [f"run-{i:06d}.parquet" for i in range(8)]
    manifest = store.read_manifest(tmp_path / "s")
    assert manifest["spec_hash"] == store.spec_hash(spec)
    assert len(manifest["design"]["matrix"]) == 4 and len(manifest["runs"]) == 8
    assert manifest["runs"][3]["spawn_key"] == [1, 3]
    assert {"version", "git_commit", "base_scenario"} <= set(manifest)
    table = store.load(tmp_path / "s")
    assert table.column("run_id").to_pylist() == list(range(8))
    assert table.schema.field("tribunal__mode").type == "string"
    again = run_sweep(spec, tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    assert (again.skipped, again.done) == (8, 0)
    assert store.load(tmp_path / "s").equals(table)


def test_temporary_files_are_ignored_and_cleaned(tmp_path):
    spec = parse_spec(FAKE)
    run_sweep(spec, tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    table = store.load(tmp_path / "s")
    leftover = tmp_path / "s" / "runs" / ".run-000009.parquet.abc.tmp"
    leftover.write_bytes(b"half a parquet file")
    (tmp_path / "s" / "runs" / "run-000003.parquet").unlink()
    assert store.load(tmp_path / "s").num_rows == 7
    run_sweep(spec, tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    assert not leftover.exists()
    assert store.load(tmp_path / "s").equals(table)


def test_a_different_spec_is_refused(tmp_path):
    run_sweep(parse_spec(FAKE), tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    other = json.loads(json.dumps(FAKE))
    other["sweep"]["samples"] = 5
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(parse_spec(other), tmp_path / "s", workers=1,
                  run_function=sweep_hooks.linear)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("x")
    with pytest.raises(SweepError, match="not a sweep store"):
        run_sweep(parse_spec(FAKE), tmp_path / "junk", workers=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path, workers):
    spec = parse_spec(FAKE)
    summary = run_sweep(spec, tmp_path / "s", workers=workers,
                        run_function=sweep_hooks.fail_on_point_one)
    assert (summary.done, summary.failed) == (6, 2)
    failed = store.failures(tmp_path / "s")
    assert [f["run_id"] for f in failed] == [2, 3]
    assert "injected failure for run 2" in failed[0]["traceback"]
    assert "Traceback" in failed[0]["traceback"] and "right_first_time" in failed[0]["inputs"]
    assert store.load(tmp_path / "s").column("point").to_pylist() == [0, 0, 2, 2, 3, 3]
    retry = run_sweep(spec, tmp_path / "s", workers=1, run_function=sweep_hooks.linear)
    assert (retry.skipped, retry.done, retry.failed) == (6, 2, 0)
    assert store.failures(tmp_path / "s") == []
    assert store.load(tmp_path / "s").num_rows == 8


def _sweep_cli(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sendabm.cli", "sweep", str(spec), "--store", str(out),
            "--workers", "1", "--quiet"]


@pytest.mark.slow  # three sweeps in subprocesses: the default suite's longest check
def test_resume_after_kill_9_gives_the_uninterrupted_store(tmp_path):
    spec = tmp_path / "resume.toml"
    spec.write_text(MODEL_SPEC, encoding="utf-8")
    killed = tmp_path / "killed"
    process = subprocess.Popen(_sweep_cli(spec, killed), cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not store.parts(killed) and time.monotonic() < deadline:
            assert process.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert 1 <= len(store.parts(killed)) < 12
    subprocess.run(_sweep_cli(spec, killed), cwd=ROOT, check=True, timeout=300,
                   capture_output=True)
    clean = tmp_path / "clean"
    subprocess.run(_sweep_cli(spec, clean), cwd=ROOT, check=True, timeout=300,
                   capture_output=True)
    resumed, uninterrupted = store.load(killed), store.load(clean)
    assert resumed.column("run_id").to_pylist() == list(range(12))
    assert resumed.equals(uninterrupted)
    assert not list(killed.rglob("*.tmp")) and not list((killed / "failed").iterdir())
    assert store.read_manifest(killed) == store.read_manifest(clean)
