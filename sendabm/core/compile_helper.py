"""The helper process of :mod:`sendabm.core.compile_ahead`: compiles the kernels of
:data:`~sendabm.core.compile_ahead.AHEAD` into numba's cache folder from a tiny model,
marking each group done as it compiles.

    python -m sendabm.core.compile_helper MARKS_FOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path

from sendabm.core.backends import AHEAD_CASE_KERNELS, KernelBackend
from sendabm.core.compile_ahead import AHEAD
from sendabm.core.kernels import onset_schedule, parameter_record
from sendabm.core.model import SendModel

SOURCE_ONLY = (onset_schedule, ("_month_counts", "_month_fill"))
"""Kernels the set-up calls whatever the engine, which the run compiles itself early on:
the helper runs their Python source on its tiny model instead (the same results), which
took it about two seconds sooner to the case kernels."""


class _MarkingBackend:
    """The helper's backend: :data:`AHEAD` by the kernels, marking each group done in
    ``marks`` once compiled; every other phase by the Python reference, so that the
    helper compiles nothing the run compiles itself (beyond a few small kernels that
    the set-up calls directly)."""

    def __init__(self, kernels, reference, marks: Path):
        self._kernels, self._reference, self._marks = kernels, reference, marks

    def __getattr__(self, name):
        if name not in AHEAD:
            return getattr(self._reference, name)
        method = _ahead_cases if name == "decide_cases" else getattr(self._kernels, name)

        def marked(*args, **kwargs):
            result = method(*args, **kwargs)
            (self._marks / name).touch()
            return result

        return marked


def _ahead_cases(fam, cases, cw, p) -> None:
    """The helper's case phases: only :data:`~sendabm.core.backends.AHEAD_CASE_KERNELS`
    (the run compiles the others itself; what the helper's tiny model then holds does
    not matter, only the kernels' argument types, which are the run's)."""
    p = parameter_record(p)[0]
    for kernel in AHEAD_CASE_KERNELS:
        kernel(fam, cases, cw, p)


def main(marks: Path) -> None:
    """The helper: a tiny model (scale 0.001, the default scenario) set up by the Python
    reference, stepped once with its case phases by the kernels, then moved up a school
    year by the kernels; each group is marked done in ``marks`` as it compiles."""
    module, names = SOURCE_ONLY
    for name in names:
        setattr(module, name, getattr(module, name).py_func)
    model = SendModel(engine="python", scale=0.001)
    model.backend = _MarkingBackend(KernelBackend(model.key, model.family), model.backend,
                                    marks)
    model.step()
    model._new_school_year()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
