"""sendabm: an agent-based model of England's SEND system.

Families, mainstream schools, special schools, independent providers, local
authorities and the SEND Tribunal act inside a network of 152 local areas. See
``docs/ODD.md`` for the model and ``README.md`` for the module map.
"""

import hashlib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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
    import numba

    numba.config.CACHE_DIR = str(_kernel_cache_dir())

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
