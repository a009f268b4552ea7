"""The row kernels' chunks on threads (sendabm.core.kernels.threads): every chunk runs
exactly once whatever the thread count, a failing chunk's error reaches the caller, and a
forked child starts a pool of its own."""

from __future__ import annotations

import os
import threading

import numba
import pytest

from sendabm.core.kernels import threads as T


@pytest.fixture
def thread_count():
    before = numba.get_num_threads()
    yield lambda n: numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(before)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("n_chunks", [1, 3, 32])
def test_every_chunk_runs_once(thread_count, n_threads, n_chunks):
    thread_count(n_threads)
    seen, lock = [], threading.Lock()

    def task(c: int) -> None:
        with lock:
            seen.append(c)

    T.over_chunks(n_chunks, task)
    assert sorted(seen) == list(range(n_chunks))


def test_row_chunks_follow_the_thread_count(thread_count):
    thread_count(1)
    assert T.row_chunks() == 1
    if numba.config.NUMBA_NUM_THREADS >= 2:
        thread_count(2)
        assert T.row_chunks() == 2 * T.CHUNKS_PER_THREAD


@pytest.mark.parametrize("failing", [0, 1, 7])
def test_a_failing_chunk_raises_after_the_others_finish(thread_count, failing):
    thread_count(2)
    done = []

    def task(c: int) -> None:
        if c == failing:
            raise ZeroDivisionError(f"chunk {c}")
        done.append(c)

    with pytest.raises(ZeroDivisionError, match=f"chunk {failing}"):
        T.over_chunks(8, task)
    if numba.get_num_threads() >= 2:
        # The other thread's chunks all ran (the caller waited for them).
        other = 1 - failing % 2
        assert set(range(other, 8, 2)) <= set(done)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_chunks_on_a_pool_of_its_own(thread_count):
    thread_count(2)
    T.over_chunks(4, lambda c: None)  # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        seen = []
        T.over_chunks(4, seen.append)
        os.write(write, bytes([len(seen), T._pool is not None]))
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 2) == bytes([4, numba.get_num_threads() >= 2])
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("n_rows", [0, 1, 5, 64, 1001])
@pytest.mark.parametrize("n_chunks", [1, 8, 32])
def test_row_chunks_cover_every_row_once(thread_count, n_rows, n_chunks):
    thread_count(2)
    covered, lock = [], threading.Lock()

    def task(c: int, start: int, stop: int) -> None:
        with lock:
            covered.extend(range(start, stop))

    T.over_row_chunks(n_rows, n_chunks, task)
    assert sorted(covered) == list(range(n_rows))
