"""Snapshots: a model continued from one is the model run from the start, bit for bit;
every attribute is saved or listed as rebuilt; another past, another version and a
half-written folder are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numba
import numpy as np
import pytest

from sendabm.cli import main as cli
from sendabm.core import snapshot as snapshot_mod
from sendabm.core.areas import synthetic_england
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario
from sendabm.core.snapshot import SnapshotError
from sendabm.experiments.results import read_run
from sendabm.experiments.snapshots import MANIFEST, load_snapshot, save_snapshot

SCALE = 0.001
FORK = "2015-03"  # after the first September intake, before the first April and August
BASE = default_scenario().with_overrides(run={"scale": SCALE, "end": "2015-09", "seed": 3})
POLICY = BASE.with_policies([{"name": "tribunal", "start": FORK, "mode": "replace"},
                             {"name": "core_offer", "start": "2015-06", "strength": 1.0}])


def _past(scenario=BASE, month=FORK, **kwargs) -> SendModel:
    model = SendModel(scenario, **kwargs)
    while model.date.strftime("%Y-%m") < month:
        model.step()
    return model


@pytest.fixture(scope="module")
def past_snapshot():
    return _past().snapshot()


@pytest.fixture(scope="module")
def from_start():
    model = SendModel(POLICY)
    model.run()
    return model


def assert_same_snapshot(a: snapshot_mod.Snapshot, b: snapshot_mod.Snapshot) -> None:
    """Two snapshots hold the same state: same tree, same arrays bit for bit."""
    # As JSON text, so that NaN equals NaN.
    assert json.dumps(a.manifest["state"]) == json.dumps(b.manifest["state"])
    assert list(a.arrays) == list(b.arrays)
    for name, array in a.arrays.items():
        other = b.arrays[name]
        assert array.dtype == other.dtype and array.shape == other.shape, name
        assert array.tobytes() == other.tobytes(), f"array '{name}' differs"


def assert_same_model(a: SendModel, b: SendModel) -> None:
    """Same state (every saved attribute), same Mesa agents and DataCollector rows."""
    assert_same_snapshot(a.snapshot(), b.snapshot())
    assert [(type(x).__name__, x.unique_id) for x in a.agents] == \
        [(type(x).__name__, x.unique_id) for x in b.agents]
    assert a.datacollector.get_model_vars_dataframe().equals(
        b.datacollector.get_model_vars_dataframe())


def test_fork_is_the_run_from_the_start(past_snapshot, from_start):
    fork = SendModel.from_snapshot(past_snapshot, scenario=POLICY)
    assert fork.tick == past_snapshot.tick and fork.steps == past_snapshot.tick
    fork.run()
    assert_same_model(fork, from_start)
    # The policies act after the fork: the arm really differs from its past's scenario.
    base = SendModel(BASE)
    base.run()
    assert base.national["hearing_capacity"] != fork.national["hearing_capacity"]


def test_continuing_its_own_scenario_and_restoring_twice(past_snapshot):
    first = SendModel.from_snapshot(past_snapshot)
    second = SendModel.from_snapshot(past_snapshot)
    assert_same_snapshot(first.snapshot(), past_snapshot)
    first.run()
    second.run()
    straight = SendModel(BASE)
    straight.run()
    assert_same_model(first, straight)
    assert_same_model(second, straight)


def test_thread_count_does_not_matter(past_snapshot, from_start):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two numba threads")
    before = numba.get_num_threads()
    try:
        fork = SendModel.from_snapshot(past_snapshot, scenario=POLICY, threads=1)
        fork.run()
    finally:
        numba.set_num_threads(before)
    assert_same_model(fork, from_start)


def test_python_engine_fork_and_family_views():
    scenario = BASE.with_overrides(run={"end": "2014-12"})
    policy = scenario.with_policies([{"name": "tribunal", "start": "2014-11",
                                      "mode": "remove"}])
    past = _past(scenario, "2014-11", engine="python")
    past.family(5)
    past.family(2)
    snap = past.snapshot()
    fork = SendModel.from_snapshot(snap, scenario=policy)
    assert [v.unique_id for v in fork._family_views.values()] == \
        [v.unique_id for v in past._family_views.values()]
    fork.run()
    straight = SendModel(policy, engine="python")
    while straight.date.strftime("%Y-%m") < "2014-11":
        straight.step()
    straight.family(5)
    straight.family(2)
    straight.run()
    assert_same_model(fork, straight)


# ---------------------------------------------------------------- complete by construction


def test_every_attribute_is_saved_or_listed_as_rebuilt(past_snapshot):
    model = _past()
    names = set(vars(model))
    saved = {k for k in past_snapshot.manifest["state"] if not k.startswith("__")}
    listed = set(snapshot_mod.SETTINGS) | set(snapshot_mod.DERIVED)
    assert names == saved | listed, "an attribute is neither saved nor listed"
    assert not saved & listed
    stale = listed - names
    assert not stale, f"listed attributes the model no longer has: {sorted(stale)}"
    # Every actor's state object is saved whole: each of its attributes is in the tree.
    state = past_snapshot.manifest["state"]
    for name in ("las", "schools", "special", "providers", "tribunal", "_onsets"):
        assert state[name]["t"] == "object"
        assert set(state[name]["attrs"]) == set(vars(getattr(model, name))), name
    restored = SendModel.from_snapshot(past_snapshot)
    assert set(vars(restored)) == names
    for name in ("las", "schools", "special", "providers", "tribunal", "_onsets"):
        assert set(vars(getattr(restored, name))) == set(vars(getattr(model, name)))


def test_new_state_is_saved_without_anyone_listing_it():
    model = _past(month="2014-10")
    model.las.new_counter = np.arange(3.0)
    model.new_queue = [(1, np.array([2, 3])), (4, np.array([5]))]
    restored = SendModel.from_snapshot(model.snapshot())
    np.testing.assert_array_equal(restored.las.new_counter, np.arange(3.0))
    assert restored.new_queue[1][0] == 4
    np.testing.assert_array_equal(restored.new_queue[0][1], [2, 3])
    model.schools.unsaveable = object()
    with pytest.raises(SnapshotError, match=r"cannot snapshot 'schools.unsaveable'"):
        model.snapshot()


# --------------------------------------------------------------------------- the past


@pytest.mark.parametrize("change, message", [
    (lambda s: s.with_overrides(parameters={"trust_learning_rate": 0.09}),
     "parameter 'trust_learning_rate'"),
    (lambda s: s.with_policies([{"name": "core_offer", "start": "2015-02"}]),
     "policy 'core_offer'"),
    (lambda s: s.with_overrides(run={"scale": 0.002}), "scale"),
    (lambda s: s.with_overrides(run={"seed": 4}), "seed"),
    (lambda s: s.with_overrides(run={"end": "2015-10"}), "end"),
])
def test_another_past_is_refused(past_snapshot, change, message):
    with pytest.raises(SnapshotError, match=message) as error:
        SendModel.from_snapshot(past_snapshot, scenario=change(BASE))
    assert "\n" not in str(error.value)


def test_other_areas_or_engine_refused(past_snapshot):
    england = synthetic_england()
    fewer = type(england)(codes=england.codes[:-1], names=england.names[:-1],
                          regions=england.regions[:-1], region_names=england.region_names,
                          pupils=england.pupils[:-1],
                          graph=england.graph.subgraph(range(england.n - 1)).copy())
    with pytest.raises(SnapshotError, match="areas"):
        SendModel.from_snapshot(past_snapshot, areas=fewer)
    with pytest.raises(SnapshotError, match="engine"):
        SendModel.from_snapshot(past_snapshot, engine="python")


def test_policy_from_the_month_on_is_accepted(past_snapshot):
    # A policy of the base starting later may be dropped or changed; one at the month added.
    SendModel.from_snapshot(past_snapshot, scenario=POLICY)
    SendModel.from_snapshot(past_snapshot, scenario=BASE.with_policies(
        [{"name": "core_offer", "start": FORK}]))


# ------------------------------------------------------------------------------ on disk


def test_disk_round_trip(tmp_path, past_snapshot, from_start):
    folder = save_snapshot(past_snapshot, tmp_path / "snap")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["version"] and manifest["git_commit"]
    assert manifest["scenario_hash"] == BASE.hash()
    assert (manifest["seed"], manifest["scale"], manifest["month"]) == (3, SCALE, FORK)
    loaded = load_snapshot(folder)
    assert_same_snapshot(loaded, past_snapshot)
    assert loaded.scenario.hash() == BASE.hash()
    fork = SendModel.from_snapshot(loaded, scenario=POLICY)
    fork.run()
    assert_same_model(fork, from_start)


def test_snapshot_from_another_version_refused(tmp_path, past_snapshot):
    folder = save_snapshot(past_snapshot, tmp_path / "snap")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["version"] = "0.0.1"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="written by sendabm 0.0.1"):
        load_snapshot(folder)


def test_half_written_folder_refused(tmp_path, past_snapshot):
    folder = save_snapshot(past_snapshot, tmp_path / "snap")
    manifest = json.loads((folder / MANIFEST).read_text())
    biggest = max(manifest["arrays"].values(), key=lambda e: e["bytes"])
    path = folder / biggest["file"]
    path.write_bytes(path.read_bytes()[: biggest["bytes"] // 2])
    with pytest.raises(SnapshotError, match="incomplete"):
        load_snapshot(folder)
    (folder / MANIFEST).unlink()
    with pytest.raises(SnapshotError, match="not a complete snapshot"):
        load_snapshot(folder)


def test_kill_during_save_never_leaves_a_snapshot_that_loads(tmp_path, past_snapshot):
    """A writer saving again and again is killed (-9) at a random moment: the folder is
    then a complete snapshot, and a leftover temporary folder loads only if complete."""
    good = save_snapshot(past_snapshot, tmp_path / "first")
    script = textwrap.dedent(f"""
        import sys
        from sendabm.experiments.snapshots import load_snapshot, save_snapshot
        snapshot = load_snapshot({str(good)!r})
        print("ready", flush=True)
        while True:
            save_snapshot(snapshot, {str(tmp_path / "snap")!r})
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    rng = np.random.default_rng(7)
    seen_complete = False
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 env=env)
        assert child.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 120
        while not (tmp_path / "snap" / MANIFEST).exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # one save done: the kill lands in a later one's
        time.sleep(float(rng.uniform(0.0, 0.3)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        for path in tmp_path.iterdir():
            if path.name in ("first",):
                continue
            if path.name == "snap":
                assert_same_snapshot(load_snapshot(path), past_snapshot)
                seen_complete = True
            else:  # a killed writer's temporary or swapped-out folder
                try:
                    assert_same_snapshot(load_snapshot(path), past_snapshot)
                except SnapshotError:
                    pass
    assert seen_complete


# --------------------------------------------------------------------------------- CLI


def test_cli_save_and_continue(tmp_path, capsys):
    base_file = tmp_path / "base.toml"
    base_file.write_text(textwrap.dedent(f"""
        [scenario]
        name = "base"
        [run]
        end = "2015-09"
        scale = {SCALE}
        seed = 3
    """))
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(textwrap.dedent(f"""
        [scenario]
        name = "policy"
        inherits = "base.toml"
        [[policies]]
        name = "tribunal"
        start = "{FORK}"
        mode = "replace"
    """))
    snap = tmp_path / "snap"
    assert cli(["run", str(base_file), "--out", str(tmp_path / "b"), "--no-figures",
                "--quiet", "--save-snapshot", FORK, "--snapshot-dir", str(snap)]) == 0
    assert (snap / MANIFEST).is_file()
    assert cli(["run", str(policy_file), "--out", str(tmp_path / "fork"), "--no-figures",
                "--quiet", "--from-snapshot", str(snap)]) == 0
    assert cli(["run", str(policy_file), "--out", str(tmp_path / "full"), "--no-figures",
                "--quiet"]) == 0
    fork, full = read_run(tmp_path / "fork"), read_run(tmp_path / "full")
    assert fork.dates == full.dates
    for name in full.national:
        assert fork.national[name].tobytes() == full.national[name].tobytes(), name
    for name in full.panel:
        assert fork.panel[name].tobytes() == full.panel[name].tobytes(), name
    capsys.readouterr()
    # A policy before the snapshot's month: refused in one line, exit 2.
    policy_file.write_text(policy_file.read_text().replace(FORK, "2015-01"))
    assert cli(["run", str(policy_file), "--out", str(tmp_path / "bad"), "--no-figures",
                "--quiet", "--from-snapshot", str(snap)]) == 2
    # One error line (beside the warning that scale 0.001 is too small to read levels).
    err = [line for line in capsys.readouterr().err.splitlines()
           if not line.startswith("sendabm: warning:")]
    assert len(err) == 1 and "policy 'tribunal'" in err[0]
    assert cli(["run", str(base_file), "--out", str(tmp_path / "b2"), "--no-figures",
                "--quiet", "--save-snapshot", "2016-01", "--snapshot-dir",
                str(tmp_path / "s2")]) == 2
    assert "outside the run" in capsys.readouterr().err
    assert not (tmp_path / "b2").exists() and not (tmp_path / "s2").exists()
