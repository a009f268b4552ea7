"""The shared process pool: ordered results, results as completed, resume, worker set-up."""

import os
import signal
import sys

import pytest
import sweep_hooks

from sendabm.experiments.pool import WorkerPool, available_cores


def test_one_worker_runs_here_lazily():
    seen = []

    def tasks():
        for x in range(5):
            seen.append(x)
            yield x

    with WorkerPool(1) as pool:
        results = pool.as_completed(sweep_hooks.square, tasks())
        assert next(results) == (0, 0) and seen == [0]  # nothing runs before it is asked for
        assert list(results) == [(1, 1), (2, 4), (3, 9), (4, 16)]
        assert list(pool.ordered(sweep_hooks.square, range(4), done=lambda x: x == 2)) == [0, 1, 9]


def test_workers_results_in_order_and_as_completed():
    with WorkerPool(2) as pool:
        ordered = list(pool.ordered(sweep_hooks.worker_state, range(8)))
        assert [r[0] for r in ordered] == list(range(8))
        finished = list(pool.as_completed(sweep_hooks.worker_state, range(8), in_flight=3))
        assert sorted(i for i, _ in finished) == list(range(8))
        assert all(i == r[0] for i, r in finished)
    for _, pid, threads, death_signal in ordered:
        assert pid != os.getpid()
        assert threads == max(1, available_cores() // 2)
        if sys.platform.startswith("linux"):
            assert death_signal == signal.SIGKILL


def test_resume_skips_tasks_already_done():
    with WorkerPool(2) as pool:
        results = dict(pool.as_completed(sweep_hooks.square, range(6), done=lambda x: x % 2 == 0))
    assert results == {1: 1, 3: 9, 5: 25}


def test_a_failed_task_raises_and_the_pool_stays_usable():
    with WorkerPool(2) as pool:
        with pytest.raises(ValueError, match="task 1 failed"):
            list(pool.ordered(sweep_hooks.fail_on_one, range(20)))
        assert list(pool.ordered(sweep_hooks.square, range(3))) == [0, 1, 4]
