"""Compiling on a second core: with an empty numba cache, a helper process compiles the
kernels a run needs last while the run compiles the ones it needs first.

Numba compiles one function at a time in a process, so a first run used one core for
its whole compiling (``benchmarks/COMPILE_PROFILE.md``). The kernels a run first calls
in its set-up and first family month, and the LA decisions and mediation, are compiled
by the run itself, in its own order; the appeal, redress and placement kernels (phases
6-7, first called after the first family month) and the September kernel are compiled
by a helper process at the same time, into numba's cache
folder, from a tiny model of its own (:mod:`sendabm.core.compile_helper`). When the run
reaches one of :data:`AHEAD`, it waits for the helper to finish that group
(:func:`ready`), and numba then loads the machine code from the cache instead of
compiling it.

The cached code is what the run would have compiled (the same source, types and
machine), so no result depends on which process compiled a kernel. Nothing changes
when the cache is warm (no helper starts), on one core, when other programs keep the
cores busy (load average above the cores less a half, unless
``SENDABM_COMPILE_AHEAD=1``), with ``SENDABM_COMPILE_AHEAD=0``, when the cache folder
is not writable, or while another process's helper is at work on the same cache folder
(a lock file names it). If the helper fails, is killed or runs past
:data:`WAIT_SECONDS`, the run compiles the group itself, as it would without a helper;
the helper is stopped when the run's process ends, and says nothing.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AHEAD = ("decide_cases", "age_and_transfer")
"""Backend methods whose kernels the helper compiles, in the order it compiles them
(the order a run first calls them: the appeal, redress and placement kernels,
:data:`~sendabm.core.backends.AHEAD_CASE_KERNELS`, after the first family month, the
move up a year in the first September)."""

SWITCH = "SENDABM_COMPILE_AHEAD"
"""Environment variable: ``0`` turns the helper off (the helper itself runs with it),
``1`` starts it however busy the machine is."""

WAIT_SECONDS = 300.0
"""Longest a run waits for the helper's group before compiling it itself."""

LOCK_NAME = "compile-ahead.lock"
"""File in numba's cache folder naming the process whose helper is at work on it."""

_POLL_SECONDS = 0.02


class _Helper:
    """The helper process this process started, and the groups it has not waited for."""

    def __init__(self, process: subprocess.Popen, marks: Path, lock: Path):
        self.process, self.marks, self.lock = process, marks, lock
        self.owner = os.getpid()
        self.pending = set(AHEAD)

    def wait_for(self, group: str) -> bool:
        """Wait until the helper has compiled ``group``; False if it never will."""
        deadline = time.monotonic() + WAIT_SECONDS
        mark = self.marks / group
        while not mark.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                return mark.exists()
            time.sleep(_POLL_SECONDS)
        return True

    def stop(self) -> None:
        """End the helper if it still runs, and remove its lock and marks."""
        if os.getpid() != self.owner:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.lock.unlink(missing_ok=True)
        shutil.rmtree(self.marks, ignore_errors=True)


_helper: _Helper | None = None
_started = False
_waited = 0.0


def _after_fork_in_child() -> None:
    global _helper
    _helper = None  # a forked process neither waits for nor stops its parent's helper


os.register_at_fork(after_in_child=_after_fork_in_child)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _take_lock(cache: Path) -> Path | None:
    """The lock file, created for this process, or None if another live process holds it
    or the cache folder cannot be written."""
    lock = cache / LOCK_NAME
    for _ in range(2):
        try:
            cache.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = int(lock.read_text() or "0")
                os.kill(holder, 0)
                return None  # alive: its helper is at work on this cache
            except (ValueError, ProcessLookupError):
                lock.unlink(missing_ok=True)  # left by a process that died
                continue
            except OSError:
                return None
        except OSError:
            return None
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        return lock
    return None


def _idle_cores() -> float:
    """Cores not kept busy by other programs (cores less the load average)."""
    try:
        return _cores() - os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this system
        return float(_cores())


def will_start() -> bool:
    """Whether a run in this process would start the helper on an empty cache: it is not
    switched off, and half a core is idle besides the run's or ``SENDABM_COMPILE_AHEAD=1``
    (on a machine kept busy by other programs the helper only adds work: first runs took
    1.12-1.16 times as long with it at load average 4.3 on 2 cores). The lock is only
    tried when it starts."""
    switch = os.environ.get(SWITCH)
    return (not _started and switch != "0" and _cores() >= 2
            and (switch == "1" or _idle_cores() >= 0.5))


def start(missing: int) -> None:
    """Start the helper, once per process, if ``missing`` of the :data:`AHEAD` groups'
    kernels are not in numba's cache (see the module docstring for when it does not)."""
    global _helper, _started
    if missing == 0 or not will_start():
        return
    _started = True
    import numba

    cache = Path(numba.config.CACHE_DIR)
    lock = _take_lock(cache)
    if lock is None:
        return
    marks = Path(tempfile.mkdtemp(prefix="sendabm-ahead-"))
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, SWITCH: "0", "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sendabm.core.compile_helper", str(marks)], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        lock.unlink(missing_ok=True)
        shutil.rmtree(marks, ignore_errors=True)
        return
    _helper = _Helper(process, marks, lock)
    atexit.register(_helper.stop)


def seconds_waited() -> float:
    """Seconds this process has waited in :func:`ready` (time compiling, for the
    progress bar's rate)."""
    return _waited


def ready(group: str) -> None:
    """Called before a run first uses ``group`` (one of :data:`AHEAD`): wait for the
    helper to have compiled it, if a helper of this process is compiling it."""
    helper = _helper
    if helper is None or group not in helper.pending:
        return
    global _waited
    helper.pending.discard(group)
    since = time.perf_counter()
    helper.wait_for(group)
    _waited += time.perf_counter() - since
    if not helper.pending:
        helper.stop()
