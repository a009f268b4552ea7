"""What every section builder of ``sendabm report`` shares: the report's parts, readers
of a folder's files that fail with one line, and number formats.

The builders (:mod:`~sendabm.presentation.report_run`,
:mod:`~sendabm.presentation.report_compare`, :mod:`~sendabm.presentation.report_sweep`)
import this module; :mod:`sendabm.presentation.report` imports them and writes the page.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.experiments.results import ResultsError


@dataclass
class Section:
    """One part of the report.

    Attributes:
        title: Heading.
        text: One paragraph saying what the figure shows and how to read it.
        figure: PNG file name in the report folder, or None.
        table: Rows of a table (the first row is the header), or empty.
    """

    title: str
    text: str
    figure: str | None = None
    table: list[list[str]] = field(default_factory=list)


@dataclass
class Report:
    """Everything :func:`sendabm.presentation.report.render_html` needs.

    Attributes:
        kind: "run", "comparison" or "sweep".
        title: Page title.
        facts: (label, value) pairs shown at the top.
        sections: The report's parts, in order.
    """

    kind: str
    title: str
    facts: list[tuple[str, str]]
    sections: list[Section]


# --------------------------------------------------------------------------- reading and formats


def guarded(path: Path, what: str, fix: str, read: Callable[[Path], Any]) -> Any:
    """``read(path)``, turning any failure into a one-line :class:`ResultsError`."""
    if not path.is_file():
        raise ResultsError(f"'{path}' is missing; {fix}")
    try:
        return read(path)
    except ResultsError:
        raise
    except Exception as error:  # noqa: BLE001 - any reader failure means a corrupt file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ResultsError(f"cannot read {what} '{path}' ({reason}); {fix}") from None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (ValueError if it is not one)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file with a header."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def copy_figure(source: Path, out: Path, name: str) -> str | None:
    """Copy an existing PNG into the report folder; its new name, or None if absent."""
    if not source.is_file():
        return None
    shutil.copyfile(source, out / name)
    return name


def number(value: float, decimals: int | None = None) -> str:
    """A readable number: thousands separators, 3 significant figures below 1,000."""
    if value is None or not np.isfinite(value):
        return "–"
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def money(value: float) -> str:
    """'£1.23 bn' or '£450 m'."""
    if value is None or not np.isfinite(value):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e9:
        return f"{sign}£{value / 1e9:,.2f} bn"
    return f"{sign}£{value / 1e6:,.0f} m"
