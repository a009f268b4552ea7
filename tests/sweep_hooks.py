"""Run functions for the sweep and pool tests: fast stand-ins for the model, and faults.

They live in a module of their own (not a test file) so that worker processes —
spawned pool workers and Dask workers — can import them by name.
"""

import os
from pathlib import Path

WEIGHTS = {"right_first_time": 3.0, "workforce": 1.0, "core_offer": 0.0}


def linear(task):
    """Outcomes = 3 right_first_time + 1 workforce + a little seed noise, for every outcome."""
    value = sum(w * float(task.inputs.get(name, 0.0)) for name, w in WEIGHTS.items())
    noise = (task.seed % 1000) / 1000.0 * 0.01
    return {name: value + noise + i for i, name in enumerate(task.outcomes)}


def fail_on_point_one(task):
    """Raise for design point 1, else :func:`linear`."""
    if task.point == 1:
        raise RuntimeError(f"injected failure for run {task.run_id}")
    return linear(task)


def kill_worker_once(task):
    """Kill the worker process running run 2, once (guarded by a marker file)."""
    marker = Path(os.environ["SENDABM_TEST_MARKER"])
    if task.run_id == 2 and not marker.exists():
        marker.write_text("killed", encoding="utf-8")
        os._exit(1)
    return linear(task)


def square(x):
    """A task of the pool tests."""
    return x * x


def fail_on_one(x):
    """A task that raises for 1."""
    if x == 1:
        raise ValueError("task 1 failed")
    return x


def worker_state(x):
    """(x, this process id, numba threads, the signal this process gets when its parent
    dies): what a pool's initializer set up."""
    import ctypes
    import time

    import numba

    time.sleep(0.05 * (x % 3))  # finish out of order
    signal = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(signal))  # PR_GET_PDEATHSIG
    return x, os.getpid(), numba.get_num_threads(), signal.value


def linear_free(task):
    """:func:`linear` with core_offer weighing 2 more: a stand-in for the uncosted twin, in
    which a lever with no cost to weigh against it does more."""
    out = linear(task)
    return {name: value + 2.0 * float(task.inputs.get("core_offer", 0.0))
            for name, value in out.items()}
