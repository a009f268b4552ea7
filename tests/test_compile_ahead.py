"""The second core compiles ahead on a first run (sendabm.core.compile_ahead): the run's
late kernels come from the helper through the cache with the same results, and the run
goes on alone when the helper is off, locked out, killed or never writes its mark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sendabm.core import compile_ahead

ROOT = Path(__file__).resolve().parents[1]

RUN_SCRIPT = """
import json, sys
import numpy as np
from sendabm.core import backends, compile_ahead
from sendabm.core.kernels import school_year
from sendabm.core.model import SendModel

if sys.argv[1] == "kill":  # the helper is killed as soon as it starts
    start = compile_ahead.start

    def start_and_kill(missing):
        start(missing)
        compile_ahead._helper.process.kill()

    compile_ahead.start = start_and_kill
model = SendModel(scale=0.001, seed=3, end="2015-09")  # a September included
helper = compile_ahead._helper
model.run()
print(json.dumps({
    "helper": helper is not None,
    "loaded": [k.py_func.__name__ for k in (*backends.CASE_KERNELS, school_year._age_chunk)
               if sum(k.stats.cache_hits.values()) and not sum(k.stats.cache_misses.values())],
    "national": {name: np.asarray(v, dtype=float).tolist() for name, v in model.national.items()},
}))
"""


def _run(cache: Path, how: str, switch: str | None = None) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    env.pop(compile_ahead.SWITCH, None)
    if switch is not None:
        env[compile_ahead.SWITCH] = switch
    done = subprocess.run([sys.executable, "-c", RUN_SCRIPT, how], capture_output=True,
                          text=True, env=env, timeout=1200, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same_as_this_process(national: dict) -> None:
    from sendabm.core.model import SendModel

    model = SendModel(scale=0.001, seed=3, end="2015-09")
    model.run()
    assert national.keys() == model.national.keys()
    for name, values in model.national.items():
        assert np.array_equal(np.asarray(values, dtype=float), national[name],
                              equal_nan=True), name


@pytest.mark.slow
@pytest.mark.skipif(compile_ahead._cores() < 2, reason="the helper needs a second core")
def test_an_empty_cache_loads_the_late_kernels_the_helper_compiled(tmp_path):
    found = _run(tmp_path, "run", switch="1")  # however busy the machine
    assert found["helper"]
    assert found["loaded"] == ["appeals", "redress", "place", "_age_chunk"]
    _same_as_this_process(found["national"])
    assert not (tmp_path / compile_ahead.LOCK_NAME).exists()
    # Warm: no helper, nothing compiled.
    again = _run(tmp_path, "run", switch="1")
    assert not again["helper"]
    _same_as_this_process(again["national"])


@pytest.mark.slow
@pytest.mark.skipif(compile_ahead._cores() < 2, reason="the helper needs a second core")
def test_a_killed_helper_leaves_the_run_to_compile_alone_with_the_same_results(tmp_path):
    found = _run(tmp_path, "kill", switch="1")
    assert found["helper"] and found["loaded"] == []
    _same_as_this_process(found["national"])


def test_no_helper_when_switched_off_when_nothing_is_missing_or_when_locked(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(compile_ahead, "_helper", None)
    monkeypatch.setattr(compile_ahead, "_cores", lambda: 2)
    monkeypatch.setattr("numba.config.CACHE_DIR", str(tmp_path))
    for missing, switch in ((0, None), (7, "0")):
        monkeypatch.setattr(compile_ahead, "_started", False)
        if switch is None:
            monkeypatch.delenv(compile_ahead.SWITCH, raising=False)
        else:
            monkeypatch.setenv(compile_ahead.SWITCH, switch)
        compile_ahead.start(missing)
        assert compile_ahead._helper is None
    monkeypatch.delenv(compile_ahead.SWITCH, raising=False)
    monkeypatch.setattr(compile_ahead, "_started", False)
    (tmp_path / compile_ahead.LOCK_NAME).write_text(str(os.getppid()))  # a live process
    compile_ahead.start(7)
    assert compile_ahead._helper is None
    compile_ahead.ready("decide_cases")  # no helper: returns at once


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / compile_ahead.LOCK_NAME).write_text(dead)
    lock = compile_ahead._take_lock(tmp_path)
    assert lock == tmp_path / compile_ahead.LOCK_NAME
    assert lock.read_text() == str(os.getpid())
    assert compile_ahead._take_lock(tmp_path) is None  # held by this live process
    lock.unlink()


def test_an_unwritable_cache_folder_starts_no_helper(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: a file where the folder should be
        blocked = tmp_path / "file"
        blocked.write_text("")
        assert compile_ahead._take_lock(blocked / "cache") is None
    else:
        tmp_path.chmod(0o500)
        try:
            assert compile_ahead._take_lock(tmp_path / "cache") is None
        finally:
            tmp_path.chmod(0o700)


def test_waiting_ends_when_the_helper_exits_without_its_mark(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    lock = tmp_path / compile_ahead.LOCK_NAME
    lock.write_text(str(os.getpid()))
    helper = compile_ahead._Helper(process, tmp_path / "marks", lock)
    (tmp_path / "marks").mkdir()
    assert helper.wait_for("decide_cases") is False
    (tmp_path / "marks" / "age_and_transfer").touch()
    assert helper.wait_for("age_and_transfer") is True
    helper.stop()
    assert not lock.exists() and not (tmp_path / "marks").exists()
