"""The calibrated parameter set: the file the package ships as its defaults.

``sendabm/data/calibrated.toml`` holds ``[calibration]`` (how the set was obtained:
command, budget, seeds, scale, date, score) and ``[parameters]`` (the values).
:mod:`sendabm.core.parameters` reads it at import, so every scenario, the baseline included,
starts from the calibrated values; a scenario can still override any of them. The
values the registry states before calibration are kept as each parameter's *prior*.

This module only reads and writes the file; it must not import the model (the
parameter registry imports it).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGED_NAME = "calibrated.toml"


def packaged_path() -> Path:
    """Path of the calibrated set shipped inside the package."""
    return Path(str(resources.files("sendabm.data").joinpath(PACKAGED_NAME)))


def load(path: str | os.PathLike | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a calibrated set.

    Returns:
        ``(info, values)``: the ``[calibration]`` table and the ``[parameters]`` table;
        two empty dicts if the packaged file does not exist.
    """
    file = Path(path) if path is not None else packaged_path()
    if path is None and not file.is_file():
        return {}, {}
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    return dict(data.get("calibration", {})), dict(data.get("parameters", {}))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(float(f"{value:.6g}"))
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(info: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """The TOML text of a calibrated set."""
    lines = ["# Calibrated parameter set, written by `sendabm calibrate`. The package reads",
             "# this file for its defaults (see sendabm/core/calibrated.py); the report beside",
             "# the study says how well it fits. Re-run the command below to reproduce it.",
             "", "[calibration]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in info.items()]
    lines += ["", "[parameters]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in sorted(values.items())]
    return "\n".join(lines) + "\n"


def write(path: str | os.PathLike, info: Mapping[str, Any], values: Mapping[str, Any]) -> Path:
    """Write a calibrated set atomically (a temporary file replaced into place)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_text(render(info, values), encoding="utf-8")
    os.replace(tmp, file)
    return file


def today() -> str:
    """Today's date, ISO."""
    return dt.date.today().isoformat()
