"""Outside tools can drive the model: process pools, Mesa's batch_run, the DataCollector."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

import sendabm

# Policy window 2014-10 .. 2015-01 of a four-month run: a few seconds once compiled.
TINY = {"scale": 0.001, "seed": 2, "policy_start": "2014-10", "end": "2015-01"}


@pytest.fixture(scope="module")
def in_process() -> dict[str, float]:
    return sendabm.evaluate(**TINY)


def _in_pool(method: str) -> dict[str, float]:
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(sendabm.evaluate, **TINY).result()


def test_evaluate_pickles_by_name():
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(sendabm.evaluate, protocol)) is sendabm.evaluate
    # Still the module: its inputs and outcomes are read as attributes.
    assert "seed" in sendabm.evaluate.INPUTS and sendabm.evaluate.OUTCOME_NAMES


def test_evaluate_in_fork_and_spawn_pools_after_running_the_model_here(in_process):
    # This process has run the model (the fixture): its kernels' threads are running, and
    # a pool forked now inherits them. Forgetting the kept past makes the workers run
    # from the start, set-up kernels included.
    import numba

    assert numba.threading_layer() != "omp"
    sendabm.evaluate.PASTS.clear()
    assert _in_pool("fork") == in_process
    assert _in_pool("spawn") == in_process


# Numba's GNU OpenMP threads do not survive fork(): a user who asks for them gets one line
# in the forked worker instead of a pool that hangs.
OPENMP_FORK_SCRIPT = f"""
import multiprocessing, sendabm
from concurrent.futures import ProcessPoolExecutor
sendabm.evaluate(**{TINY!r})
with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
    try:
        pool.submit(sendabm.evaluate, **{TINY!r}).result(timeout=300)
    except RuntimeError as error:
        print(error)
"""


def test_a_fork_after_gnu_openmp_fails_with_one_line():
    from numba.np.ufunc import omppool

    if omppool.openmp_vendor != "GNU":
        pytest.skip("numba's OpenMP here is not GNU OpenMP, which is fork-safe")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "NUMBA_THREADING_LAYER": "omp"}
    done = subprocess.run([sys.executable, "-c", OPENMP_FORK_SCRIPT], capture_output=True,
                          text=True, env=env, timeout=600, check=True)
    line = done.stdout.strip()
    assert "\n" not in line and "forked from one that had run the model" in line
    assert "spawn" in line and "NUMBA_THREADING_LAYER" in line


# Numba's workqueue layer ends the process when two threads launch parallel kernels at once;
# the model's lock makes them take turns. Run apart so a failure cannot end the test run.
THREADS_SCRIPT = f"""
import json, threading, sendabm
direct = sendabm.evaluate(**{TINY!r})
sendabm.evaluate.PASTS.clear()
found = []
threads = [threading.Thread(target=lambda: found.append(sendabm.evaluate(**{TINY!r})))
           for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps([direct, *found]))
"""


def test_evaluate_in_threads_matches_in_process(in_process):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], capture_output=True, text=True,
                          env=env, timeout=600, check=True)
    results = json.loads(done.stdout)
    assert len(results) == 4 and all(r == in_process for r in results)


def _batch(processes: int = 1, iterations: int = 3, **kwargs) -> list[dict]:
    import mesa

    from sendabm.core.model import SendModel

    return mesa.batch_run(SendModel, parameters={"scale": 0.001, "end": "2014-10", **kwargs},
                          max_steps=10, number_processes=processes, display_progress=False,
                          iterations=iterations)


def _direct(seed: int) -> float:
    from sendabm.core.model import SendModel

    model = SendModel(scale=0.001, end="2014-10", seed=seed)
    model.run()
    return model.national["ehc_plans"][-1]


@pytest.mark.parametrize("processes", [1, 2])
def test_batch_run_iterations_without_seeds_are_distinct_recorded_replicates(processes):
    rows = sorted(_batch(processes), key=lambda row: row["iteration"])
    # The scenario's seed (1) plus the iteration, as sendabm compare numbers replications.
    assert [(row["iteration"], row["seed"]) for row in rows] == [(0, 1), (1, 2), (2, 3)]
    assert len({row["ehc_plans"] for row in rows}) == 3
    assert all(row["ehc_plans"] == _direct(row["seed"]) for row in rows)


def test_batch_run_rows_record_the_seeds_they_are_given():
    rows = _batch(seed=[5, 6], iterations=1)
    assert sorted(row["seed"] for row in rows) == [5, 6]
    assert rows[0]["ehc_plans"] != rows[1]["ehc_plans"]


def test_batch_run_refuses_a_seed_repeated_over_iterations():
    with pytest.raises(ValueError, match="give the seeds as a list with iterations=1") as error:
        _batch(seed=[5, 6])
    assert "\n" not in str(error.value)


def test_datacollector_dates_each_month():
    import datetime as dt

    from sendabm.core.model import SendModel

    model = SendModel(scale=0.001, seed=3, end="2014-12")
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame["date"]) == model.dates == [dt.date(2014, m, 1) for m in (9, 10, 11, 12)]
    assert set(frame["seed"]) == {3}
