"""Chunks of rows across threads: the one place the row kernels run in parallel (the
set-up's vectors of draws, :func:`sendabm.core.rng.uniforms` and ``normals``, keep
numba's parallel loops: they are small to compile).

A parallel kernel is a serial ``@njit(nogil=True)`` function over one chunk of rows
(``start:stop``), called for each chunk by :func:`over_chunks` from Python threads.
Every row's draws and arithmetic are its own and each chunk writes only its own slice
or its own row of partial sums, so no result depends on the thread count: kernels with
partial sums have a fixed number of chunks, added in chunk order afterwards, and
kernels whose rows are independent, with outputs joined in row order, have
:func:`row_chunks`, which follows the thread count.

Numba's parallel loops (``prange``) did the same dispatch, but each one is compiled as
a function of its own with its chunk function inlined and optimised again: six thin
loops took about 11 s of a first run's 39 s of compiling on one core
(benchmarks/COMPILE_PROFILE.md). A chunk function called from Python is compiled once;
a call costs about 15 microseconds (numba types the arguments), about a hundred calls a
month.

The thread count is numba's (``NUMBA_NUM_THREADS``, :func:`numba.set_num_threads`, the
CLI's ``--threads``), read in the calling thread, so the model's threads are set as
they were for numba's parallel loops.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool_after_fork() -> None:
    global _pool, _pool_lock
    # A forked child has none of its parent's threads, and a lock another thread held
    # at the fork would stay held.
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _executor() -> ThreadPoolExecutor:
    """The process's pool of chunk threads (started on first use, one per numba thread
    that could be asked for)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                       thread_name_prefix="sendabm-chunks")
        return _pool


CHUNKS_PER_THREAD = 4
"""Chunks per thread for a kernel whose rows are independent (:func:`row_chunks`): a
few each, so a thread that drew dense rows does not hold up the rest."""


def row_chunks() -> int:
    """Number of chunks for a kernel whose rows are independent and whose outputs are
    joined in row order, so the chunking cannot change a result: one per call on one
    thread, :data:`CHUNKS_PER_THREAD` per thread otherwise. Each chunk is a call from
    Python (about 15 microseconds), so a tiny population is not cut into many."""
    threads = max(1, numba.get_num_threads())
    return 1 if threads == 1 else CHUNKS_PER_THREAD * threads


def _serial(task: Callable[[int], None], chunks: range) -> None:
    for c in chunks:
        task(c)


def over_chunks(n_chunks: int, task: Callable[[int], None]) -> None:
    """Call ``task(c)`` once for each chunk ``c`` in ``range(n_chunks)``, on as many
    threads as numba's thread count (the calling thread is one of them).

    Threads take chunks in turn (thread k takes k, k + threads, ...), which spreads
    dense and sparse parts of the rows across threads. An exception in any chunk is
    raised here, after every thread has finished.

    Args:
        n_chunks: Number of chunks: fixed where chunks hold partial sums (their order
            of addition is fixed with them), :func:`row_chunks` where rows are
            independent.
        task: Calls the chunk function for one chunk; must release the GIL
            (``nogil=True``) for the threads to run at once.
    """
    threads = min(numba.get_num_threads(), n_chunks)
    if threads <= 1:
        _serial(task, range(n_chunks))
        return
    pool = _executor()
    futures = [pool.submit(_serial, task, range(k, n_chunks, threads))
               for k in range(1, threads)]
    try:
        _serial(task, range(0, n_chunks, threads))
    finally:
        for future in futures:
            future.result()


def chunk_size(n_rows: int, n_chunks: int) -> int:
    """Rows in each chunk of :func:`over_row_chunks`, ceil(n_rows / n_chunks): chunk ``c``
    starts at row ``c * chunk_size`` (the last chunks are shorter or empty)."""
    return (n_rows + n_chunks - 1) // n_chunks


def over_row_chunks(n_rows: int, n_chunks: int, task: Callable[[int, int, int], None]) -> None:
    """:func:`over_chunks` over ``n_rows`` rows cut into ``n_chunks`` runs of
    :func:`chunk_size` rows: ``task(c, start, stop)`` for each chunk ``c`` and its rows
    ``start:stop``."""
    size = chunk_size(n_rows, n_chunks)
    over_chunks(n_chunks, lambda c: task(c, c * size, min(n_rows, (c + 1) * size)))
