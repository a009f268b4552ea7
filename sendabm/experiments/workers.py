"""Set-up of the worker processes that sweeps, comparisons and calibration spawn.

Each worker uses its share of the cores for numba's parallel kernels, and dies with
the process that started it: a ``spawn`` worker is not told when its parent is
killed (``kill -9``, an out-of-memory kill), so it would otherwise finish its run and
then sit idle holding its memory until someone finds it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process receives when its parent dies."""


def start_worker(threads: int, parent: int) -> None:
    """Initializer of a spawned worker process.

    Args:
        threads: Numba threads this worker may use (its share of the cores).
        parent: Process id of the process that started the pool.
    """
    die_with_parent(parent)
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when process ``parent`` ends (Linux only;
    elsewhere nothing changes). Exits at once if ``parent`` has already gone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
