"""The optional dependencies (pyproject's extras) and the one-line error when one is missing.

``pip install sendabm`` installs what ``sendabm run`` needs. A command that needs more
calls :func:`require` before it starts, so a missing package stops it at once with
one line naming the extra to install, instead of a traceback halfway through.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, dict[str, str]] = {
    "dask": {"dask[distributed]": "distributed"},
    "calibrate": {"optuna": "optuna"},
    "sensitivity": {"SALib": "SALib"},
    "appraise": {"scikit-learn": "sklearn"},
    "dashboard": {"solara": "solara", "solara-assets": "solara_assets",
                  "ipyvuetify": "ipyvuetify", "pandas": "pandas", "altair": "altair"},
}
"""Extra -> {requirement as pyproject lists it: a module it installs} (``distributed``
depends on ``dask``, so finding it finds both)."""


class MissingExtra(ImportError):
    """A package of an optional extra is not installed; the message is one line."""


def missing(extra: str) -> list[str]:
    """The packages of ``extra`` that are not installed."""
    return [package for package, module in EXTRAS[extra].items()
            if importlib.util.find_spec(module) is None]


def require(extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` unless every package of ``extra`` is installed.

    Args:
        extra: A key of :data:`EXTRAS`.
        what: What needs it, for the message (e.g. "sendabm calibrate").
    """
    absent = missing(extra)
    if absent:
        raise MissingExtra(
            f"{what} needs the optional '{extra}' packages ({', '.join(absent)} not "
            f'installed); install them with pip install "sendabm[{extra}]" (from a source '
            f'tree: pip install -e ".[{extra}]")')
