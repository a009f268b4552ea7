"""sendabm: an agent-based model of England's SEND system.

Families, mainstream schools, special schools, independent providers, local
authorities and the SEND Tribunal act inside a network of 152 local areas. See
``docs/ODD.md`` for the model and ``README.md`` for the module map.

The modules form layers, listed here from the bottom up. A module imports only its own
layer and the layers listed before it, and no imports form a cycle
(``tests/test_layering.py`` checks every import, function-level ones included):

- base: this package root, ``data``, and the model's foundations in ``core``: rng,
  calendar, states, population, areas, la_record, dispositions (each LA's offsets),
  exogenous, calibrated, param (the ``Param`` declaration), measures and slots (the
  measure registry and its counting slots).
  Depends on nothing else of the package.
- actors: ``core/actors``, one module per actor. Depends on base.
- kernels: ``core/kernels``, the fused numba kernels, and their twin ``core/reference``,
  the plain-Python reference (neither imports the other). Depends on actors and base.
- model: ``core`` parameters (the actors' ``PARAMS`` assembled), backends, phases, model,
  cohorts, starting_state, scenario, policies, invariants, snapshot: ``SendModel``
  assembled from the actors and kernels. Depends on kernels, actors and base.
- experiments: ``experiments``, runs, results, comparisons, sweeps and their pool,
  calibration, validation. Depends on the model layers.
- presentation: ``presentation``, figures, reports, the map, the dashboard. Depends on
  experiments and the model layers.
- cli: ``cli``, the ``sendabm`` command. Depends on everything.

Imports under ``if TYPE_CHECKING:`` are exempt, and so are the lazy attributes below
(``sendabm.SendModel``, ``sendabm.evaluate``), the package's facade over the upper layers.
"""

import hashlib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numba

# Slots and measures: the kernels compile the registry's slot numbers in as constants.
_KERNEL_SOURCES = ("core/rng.py", "core/states.py", "core/population.py", "core/slots.py",
                   "core/measures.py", "core/actors", "core/kernels")


def _kernel_cache_dir() -> Path:
    """A numba cache folder named after a hash of every file the kernels compile from.

    Numba invalidates a cached kernel only when the kernel's own file changes, not when
    a function it calls from another module does (say ``rng.normal``); keying the
    folder on all of them means an edit anywhere recompiles instead of running stale
    machine code.
    """
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _KERNEL_SOURCES:
        path = here / name
        for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(source.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "sendabm" / f"numba-{digest.hexdigest()[:16]}"


if "NUMBA_CACHE_DIR" not in os.environ:
    numba.config.CACHE_DIR = str(_kernel_cache_dir())

FORK_SAFE_LAYER = "forksafe"
"""Numba threading layer the kernels run on unless the user chose one: TBB if it is
installed, otherwise numba's own workqueue. Numba's default on Linux is GNU OpenMP, whose
threads do not survive ``fork()``: a process pool started with fork from a process that
had run the model hung or died. No result depends on the layer (every row's draws and
arithmetic are its own, and sums are added in a fixed chunk order), nor on the thread
count. The workqueue is not thread-safe, so models in one process take turns to run
their kernels (:data:`sendabm.core.backends.KERNEL_LOCK`)."""

if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = FORK_SAFE_LAYER

try:
    __version__ = version("sendabm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "SendModel", "evaluate"]


def __getattr__(name):
    # Imported lazily so `import sendabm` stays fast (numba compiles on first model use).
    if name == "SendModel":
        from sendabm.core.model import SendModel

        return SendModel
    if name == "evaluate":
        # The module is callable as sendabm.evaluate(**inputs) (sendabm/experiments/evaluate.py).
        import sendabm.experiments.evaluate as evaluate

        return evaluate
    raise AttributeError(name)
