"""The process pool that sweeps, comparisons, calibration and validation run models in.

Workers are started with the ``spawn`` method (fork is safe on sendabm's default numba
threading layer, :data:`sendabm.FORK_SAFE_LAYER`, but not on GNU OpenMP if a user chooses
it, and spawn starts every worker the same way on every platform) and initialised by
:func:`sendabm.experiments.workers.start_worker`: each gets its share of the cores for
numba's parallel kernels (one thread each when there are as many workers as cores) and
dies with the process that started it. With one worker there is no pool: tasks run in
this process, one by one, as they are asked for.

:meth:`WorkerPool.as_completed` yields ``(index, result)`` as tasks finish, the index
being the task's position in the input; :meth:`WorkerPool.ordered` yields the results in
task order. Both skip the tasks a ``done`` test accepts (resuming an interrupted job), and
keep at most ``in_flight`` tasks submitted at a time (by default two per worker, so no
worker waits for the next task), taking tasks from the input only as they are
submitted: a lazily generated list of a million runs is never held in memory. A pool
can serve many calls (a calibration runs every trial's seeds in one pool).

A task's function must be picklable (a module-level function, or a
:func:`functools.partial` of one); an exception it raises is raised again by the
iteration, after the tasks not yet started are cancelled.

A spawned worker imports the main script again before it runs anything, so a script
that starts a pool at its top level, outside ``if __name__ == "__main__":``, would
start pools in its workers too; :class:`WorkerPool` refuses it up front, with a
one-line :class:`PoolError`, instead of failing later with a broken pool.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

IN_FLIGHT_PER_WORKER = 2
"""Tasks submitted per worker at a time: one running, one waiting to start."""


class PoolError(RuntimeError):
    """Worker processes cannot be started from where the pool was asked for."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, where the system reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerPool:
    """Spawned worker processes (see the module docstring); a context manager.

    Args:
        workers: Worker processes; default all cores; 1 runs tasks in this process.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or available_cores())
        self._executor: ProcessPoolExecutor | None = None
        if self.workers > 1:
            import multiprocessing

            check_main_guard()
            from sendabm.experiments.workers import start_worker

            threads = max(1, available_cores() // self.workers)
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker, initargs=(threads, os.getpid()))

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Cancel the tasks not started, wait for the running ones, stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def as_completed(self, function: Callable[[Task], Result], tasks: Iterable[Task],
                     done: Callable[[Task], bool] | None = None,
                     in_flight: int | None = None) -> Iterator[tuple[int, Result]]:
        """``(index, function(task))`` for each task not ``done``, as each finishes.

        Args:
            function: Runs one task (in a worker; picklable).
            tasks: The tasks, read lazily; ``index`` is a task's position here.
            done: Tasks it returns True for are skipped (already done: resume).
            in_flight: Most tasks submitted at once (default two per worker).
        """
        todo = ((i, t) for i, t in enumerate(tasks) if done is None or not done(t))
        if self._executor is None:
            for index, task in todo:
                yield index, function(task)
            return
        yield from self._submit(function, todo, in_flight or self.workers * IN_FLIGHT_PER_WORKER)

    def ordered(self, function: Callable[[Task], Result], tasks: Iterable[Task],
                done: Callable[[Task], bool] | None = None,
                in_flight: int | None = None) -> Iterator[Result]:
        """``function(task)`` for each task not ``done``, in task order.

        Results that finish before an earlier one wait for it (in memory), so use this
        for tasks of about the same length, such as one scenario over several seeds.
        Arguments as :meth:`as_completed`.
        """
        waiting: dict[int, Result] = {}
        kept = (t for t in tasks if done is None or not done(t))
        following = 0
        for index, result in self.as_completed(function, kept, in_flight=in_flight):
            waiting[index] = result
            while following in waiting:
                yield waiting.pop(following)
                following += 1

    def _submit(self, function: Callable[[Task], Result], todo: Iterator[tuple[int, Task]],
                limit: int) -> Iterator[tuple[int, Result]]:
        """Keep ``limit`` tasks submitted; yield each result as its task finishes."""
        assert self._executor is not None
        pending: dict[Future, int] = {}

        def submit(n: int) -> None:
            for index, task in islice(todo, max(0, n)):
                pending[self._executor.submit(function, task)] = index

        submit(limit)
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                results = [(pending.pop(f), f.result()) for f in sorted(finished,
                                                                        key=pending.get)]
                # Refill before handing results over, so workers run while they are used.
                submit(limit - len(pending))
                yield from results
        finally:
            for future in pending:
                future.cancel()


GUARD_ADVICE = ('put the call under `if __name__ == "__main__":` in your script, or pass '
                "workers=1 to run in this process")


def check_main_guard() -> None:
    """Raise :class:`PoolError` if worker processes would run the caller's script again.

    That is, if this is a spawned worker still importing the main script (which then
    started a pool at its top level), or if the main script's top-level line that led
    here is not under an ``if __name__ == "__main__":`` test. Interactive sessions and
    ``python -c`` have no script to import again and pass.
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise PoolError(f"a worker process started another pool while importing the main "
                        f"script; {GUARD_ADVICE}")
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>"
                                     and frame.f_globals.get("__name__") == "__main__"):
        frame = frame.f_back
    path = frame.f_globals.get("__file__") if frame is not None else None
    if not path or not os.path.isfile(path):
        return
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return
    if not _under_main_test(tree, frame.f_lineno):
        raise PoolError(f"{os.path.basename(path)} line {frame.f_lineno} starts worker "
                        f"processes, which import the script again; {GUARD_ADVICE}")


def _under_main_test(tree: ast.Module, line: int) -> bool:
    """Whether ``line`` of a module lies in the body of an ``if __name__ == "__main__":``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or line):
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))
