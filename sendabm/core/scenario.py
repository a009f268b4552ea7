"""Scenario files: what to run, validated completely before anything runs.

A scenario is a TOML file in UTF-8 (a leading byte-order mark is ignored)::

    [scenario]
    name = "baseline"                 # required
    description = "..."               # optional
    inherits = "other.toml"           # optional; relative to this file's directory

    [run]                             # optional defaults the command line may override
    start = "2014-09"                 # YYYY-MM; the model starts in September 2014
    end = "2025-08"                   # YYYY-MM, after start, at most 2040-08
    scale = 0.01                      # share of England simulated, 0.001..1
    seed = 1                          # integer from 0 to 2**64 - 1

    [parameters]                      # overrides of sendabm.core.parameters defaults, by name
    need_onset_per_year = 0.02

    [[policies]]                      # a policy lever (sendabm.core.policies.LEVERS)
    name = "..."                      # at most one entry per lever
    start = "2026-09"                 # YYYY-MM, within the run (from its start to its end)
    strength = 0.5                    # 0..1, default 1, for levers that have a strength
                                      # ... and any of the lever's options

With ``inherits``, the child's ``[run]`` and ``[parameters]`` values override the
parent's key by key, ``[[policies]]`` lists concatenate (parent first) and
``[scenario]`` name and description come from the child. Chains are allowed, cycles
are an error. A child's entry for a lever that an ancestor already sets is an error
unless it says ``override = true``: it then replaces the ancestor's whole entry (keys
it does not write take the lever's defaults, not the ancestor's values).

Every problem raises :class:`ScenarioError` with a one-line message that starts with
the file name and names the key, the bad value and the fix.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sendabm.core import parameters as _parameters
from sendabm.core import policies as _policies
from sendabm.core.rng import SEED_MAX
from sendabm.core.tomlfile import read_toml

__all__ = [
    "BASELINE_DESCRIPTION",
    "POLICY_VALIDATOR",
    "RUN_DEFAULTS",
    "Scenario",
    "ScenarioError",
    "baseline_path",
    "default_scenario",
    "load_scenario",
]

MODEL_START = "2014-09"
"""First month the model can simulate (September 2014, the start of the 2014 reforms)."""

VALID_STARTS: tuple[str, ...] = (MODEL_START,)
"""Supported ``[run] start`` values (only the model start for now)."""

LATEST_END = "2040-08"
"""Last month a run may end."""

SCALE_MIN = 0.001
SCALE_MAX = 1.0

RUN_DEFAULTS: dict[str, Any] = {"start": MODEL_START, "end": "2025-08", "scale": 0.01, "seed": 0}
"""``[run]`` values used when neither the file nor its parents set them."""

SECTIONS: tuple[str, ...] = ("scenario", "run", "parameters", "policies")
SCENARIO_KEYS: tuple[str, ...] = ("name", "description", "inherits")
RUN_KEYS: tuple[str, ...] = tuple(RUN_DEFAULTS)

BASELINE_DESCRIPTION = (
    "Historical replay from September 2014 to August 2025 under the 2014 SEND reforms "
    "as enacted, with no further reform."
)
"""Description of the baseline; must match sendabm/data/scenarios/baseline.toml."""

_BASELINE_RUN: dict[str, Any] = {"start": MODEL_START, "end": "2025-08", "scale": 0.01, "seed": 1}

POLICY_VALIDATOR: Callable[[dict], dict | None] = _policies.normalise_policy
"""The lever check of each ``[[policies]]`` entry (the levers' own by default).

It is called with the entry (``name`` and ``start`` already checked, ``strength`` if
given already a float in [0, 1], plus the lever's options; not ``override``) and
returns the entry normalised (None keeps it as given), or raises ``ValueError`` with a
one-line message, which is prefixed with the file name and the policy position.
"""

_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ScenarioError(ValueError):
    """A scenario file or override is invalid. The message is always one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Scenario:
    """A fully validated scenario.

    Two scenarios compare equal when their content is equal, wherever their files live
    (``path`` is not compared).

    Attributes:
        name: Scenario name, from ``[scenario] name``.
        description: Free text, from ``[scenario] description``.
        path: Resolved path of the file it was loaded from, or None if built in code.
        run: Merged run settings with keys ``start``, ``end``, ``scale``, ``seed``.
        parameters: Every model parameter: defaults overlaid with ``overrides``.
        overrides: Only the parameters the scenario (or its parents) set.
        policies: Policy entries, parents' first.
    """

    name: str
    description: str
    path: Path | None = field(compare=False)
    run: dict[str, Any]
    parameters: dict[str, Any]
    overrides: dict[str, Any]
    policies: tuple[dict, ...] = ()

    def __hash__(self) -> int:
        return int(self.hash(), 16)

    def hash(self) -> str:
        """Return a short content hash, stable across Python processes and machines.

        Returns:
            First 16 hex characters of the SHA-256 of a canonical JSON encoding of the
            name, run settings, full parameter dict and policies. The description and
            path do not affect it.
        """
        payload = {
            "name": self.name,
            "run": self.run,
            "parameters": self.parameters,
            "policies": list(self.policies),
        }
        text = json.dumps(
            _jsonable(payload),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            allow_nan=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def with_overrides(
        self,
        run: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """Return a validated copy with some run settings or parameters replaced.

        This is how command-line options such as ``--seed``, ``--scale`` and ``--end``
        apply. Keys whose value is None are ignored, so unset options can be passed
        straight through.

        Args:
            run: New ``[run]`` values by key (start, end, scale, seed).
            parameters: New parameter values by name.

        Returns:
            A new Scenario; this one is unchanged.

        Raises:
            ScenarioError: If a key is unknown or a value is invalid.
        """
        where = "override"
        run_new = {k: v for k, v in (run or {}).items() if v is not None}
        par_new = {k: v for k, v in (parameters or {}).items() if v is not None}
        merged_run = {**self.run, **_check_run(run_new, where)}
        _check_run_order(merged_run, where)
        _check_policy_span(merged_run, self.policies, f"{where} of scenario '{self.name}'")
        overrides = {**self.overrides, **_check_parameters(par_new, where)}
        return _build(self.name, self.description, self.path, merged_run, overrides,
                      self.policies)

    def with_policies(self, policies: tuple[Mapping[str, Any], ...] | list,
                      where: str = "override") -> Scenario:
        """Return a validated copy with ``[[policies]]`` entries added after this one's.

        The entries follow the rules of a child file's: one per lever, and an entry for
        a lever this scenario already sets needs ``override = true``.

        Args:
            policies: Entries as they would be written in a scenario file.
            where: What to name as their origin in error messages.

        Returns:
            A new Scenario; this one is unchanged.

        Raises:
            ScenarioError: If an entry is invalid or sets a lever twice.
        """
        added = [check_policy(dict(p), i, where) for i, p in enumerate(policies, 1)]
        mine = self.path.name if self.path is not None else f"scenario '{self.name}'"
        merged = _merge_policies([(mine, list(self.policies)), (where, added)])
        _check_policy_span(self.run, merged, where)
        return _build(self.name, self.description, self.path, self.run, self.overrides, merged)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able description of the scenario, for run manifests.

        Returns:
            Dict with name, description, path (str or None), hash, run, parameters,
            overrides and policies.
        """
        return _jsonable({
            "name": self.name,
            "description": self.description,
            "path": None if self.path is None else str(self.path),
            "hash": self.hash(),
            "run": self.run,
            "parameters": self.parameters,
            "overrides": self.overrides,
            "policies": list(self.policies),
        })


# --- public functions -------------------------------------------------------------


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Load, merge and validate a scenario file and the files it inherits from.

    Args:
        path: Path to a ``.toml`` scenario file.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: For any problem, with a one-line message starting with the file
            name.
    """
    given = Path(path)
    if given.is_dir():
        raise ScenarioError(
            f"scenario path '{os.fspath(path)}' is a directory; give the path to a .toml file "
            "in it, such as experiments/scenarios/baseline.toml"
        )
    if not given.is_file():
        raise ScenarioError(
            f"scenario file '{os.fspath(path)}' not found; give the path to a .toml file "
            "such as experiments/scenarios/baseline.toml"
        )
    chain = _load_chain(given.resolve())  # child first
    where = chain[0].label
    run: dict[str, Any] = {}
    overrides: dict[str, Any] = {}
    for part in reversed(chain):  # root ancestor first, so children override
        run.update(part.run)
        overrides.update(part.parameters)
    policies = _merge_policies([(part.label, part.policies) for part in reversed(chain)])
    merged_run = {**RUN_DEFAULTS, **run}
    _check_run_order(merged_run, where)
    _check_policy_span(merged_run, policies, where)
    child = chain[0]
    return _build(child.name, child.description, child.path, merged_run, overrides, policies)


def from_dict(data: Mapping[str, Any]) -> Scenario:
    """The scenario a :meth:`Scenario.to_dict` describes, validated again (its path is
    not kept). The result has the same :meth:`Scenario.hash`.

    Raises:
        ScenarioError: A value is invalid (the description was edited or is from another
            version).
    """
    where = f"scenario '{data.get('name', '?')}'"
    run = _check_run(data["run"], where)
    overrides = _check_parameters(data["overrides"], where)
    policies = tuple(check_policy(dict(p), i, where)
                     for i, p in enumerate(data["policies"], 1))
    return _build(str(data["name"]), str(data.get("description", "")), None, run, overrides,
                  policies)


def default_scenario() -> Scenario:
    """Return the built-in baseline scenario, without reading any file.

    Its content equals that of :func:`baseline_path` (a test keeps them in step).

    Returns:
        The baseline: historical replay 2014-09 to 2025-08, scale 0.01, seed 1, no
        parameter overrides and no policies.
    """
    return _build("baseline", BASELINE_DESCRIPTION, None, dict(_BASELINE_RUN), {}, ())


def baseline_path() -> Path:
    """Return the path of the baseline scenario file shipped inside the package.

    Returns:
        Path to ``sendabm/data/scenarios/baseline.toml`` in the installed package.
    """
    resource = resources.files("sendabm") / "data" / "scenarios" / "baseline.toml"
    return Path(str(resource))


# --- loading ----------------------------------------------------------------------


@dataclass
class _Part:
    """One validated file of an inheritance chain (not yet merged)."""

    path: Path
    label: str
    name: str
    description: str
    inherits: str | None
    run: dict[str, Any]
    parameters: dict[str, Any]
    policies: list[dict]


def _load_chain(path: Path) -> list[_Part]:
    """Load ``path`` and its ancestors, child first; detect cycles and missing parents."""
    chain: list[_Part] = []
    seen: list[Path] = []
    current = path
    while True:
        seen.append(current)
        part = _load_file(current)
        chain.append(part)
        if part.inherits is None:
            return chain
        parent = (current.parent / part.inherits).resolve()
        if parent in seen:
            loop = " -> ".join(p.name for p in [*seen[seen.index(parent):], parent])
            raise ScenarioError(
                f"{part.label}: inheritance cycle {loop}; remove one of these 'inherits' keys"
            )
        if not parent.is_file():
            raise ScenarioError(
                f"{part.label}: [scenario] inherits = {part.inherits!r} but {parent} not "
                f"found; give a path relative to the folder of {part.label}"
            )
        current = parent


def _load_file(path: Path) -> _Part:
    """Parse and validate one file on its own (no merging)."""
    label = path.name
    try:
        data = read_toml(path)
    except ValueError as exc:
        raise ScenarioError(f"{label}: {exc}") from None

    for key, value in data.items():
        if key not in SECTIONS:
            raise ScenarioError(
                f"{label}: unknown top-level section or key '{key}'; "
                f"valid sections: {', '.join(SECTIONS)}"
            )
        if key == "policies":
            if not isinstance(value, list):
                raise ScenarioError(
                    f"{label}: 'policies' must be written as [[policies]] tables, "
                    f"got {_kind(value)}"
                )
        elif not isinstance(value, dict):
            raise ScenarioError(
                f"{label}: '{key}' must be a [{key}] section, got {_kind(value)}"
            )

    head = data.get("scenario")
    if head is None:
        raise ScenarioError(
            f'{label}: missing [scenario] section; add [scenario] with name = "..."'
        )
    _reject_unknown(head, SCENARIO_KEYS, "[scenario] key", label)
    name = head.get("name")
    if name is None:
        raise ScenarioError(f'{label}: missing [scenario] name; add name = "..." under [scenario]')
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(
            f"{label}: [scenario] name = {name!r} must be a non-empty string in quotes"
        )
    description = head.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(
            f"{label}: [scenario] description = {description!r} must be a string in quotes"
        )
    inherits = head.get("inherits")
    if inherits is not None and (not isinstance(inherits, str) or not inherits.strip()):
        raise ScenarioError(
            f"{label}: [scenario] inherits = {inherits!r} must be a file path in quotes, "
            'e.g. inherits = "baseline.toml"'
        )

    run = _check_run(data.get("run", {}), label)
    params = _check_parameters(data.get("parameters", {}), label)
    policies = [check_policy(p, i, label) for i, p in enumerate(data.get("policies", []), 1)]
    return _Part(path, label, name, description, inherits, run, params, policies)


# --- validation -------------------------------------------------------------------


def _check_run(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate ``[run]`` values one by one; return them normalised (scale as float)."""
    _reject_unknown(values, RUN_KEYS, "[run] key", where)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("start", "end"):
            _check_month(value, f"[run] {key}", where)
            if key == "start" and value not in VALID_STARTS:
                raise ScenarioError(
                    f"{where}: [run] start = {value!r} is not supported; the model starts "
                    f"in September 2014, so use start = \"{MODEL_START}\""
                )
            if key == "end" and value > LATEST_END:
                raise ScenarioError(
                    f"{where}: [run] end = {value!r} is too late; the latest valid end is "
                    f"\"{LATEST_END}\""
                )
            out[key] = value
        elif key == "scale":
            if not _is_number(value):
                raise ScenarioError(
                    f"{where}: [run] scale must be a number between {SCALE_MIN} and "
                    f"{SCALE_MAX}, got {value!r}"
                )
            if not SCALE_MIN <= value <= SCALE_MAX:
                raise ScenarioError(
                    f"{where}: [run] scale = {value!r} is out of range; valid range is "
                    f"{SCALE_MIN} <= scale <= {SCALE_MAX}"
                )
            out[key] = float(value)
        else:  # seed
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScenarioError(
                    f"{where}: [run] seed must be a whole number from 0 to 2**64 - 1, "
                    f"got {value!r}"
                )
            if not 0 <= value <= SEED_MAX:
                raise ScenarioError(
                    f"{where}: [run] seed = {value!r} is out of range; give a seed from 0 to "
                    "2**64 - 1 (seeds are 64-bit)"
                )
            out[key] = value
    return out


def _check_run_order(run: Mapping[str, Any], where: str) -> None:
    """Check that the merged run ends after it starts."""
    if run["end"] <= run["start"]:
        raise ScenarioError(
            f"{where}: [run] end = {run['end']!r} is not after start = {run['start']!r}; "
            "set end to a later month"
        )


def _check_policy_span(run: Mapping[str, Any], policies: tuple[dict, ...] | list[dict],
                       where: str) -> None:
    """Check that every policy starts within the merged run, so that it acts at all."""
    for policy in policies:
        if not run["start"] <= policy["start"] <= run["end"]:
            raise ScenarioError(
                f"{where}: [[policies]] '{policy['name']}' start = "
                f"{policy['start']!r} is outside the run, which spans {run['start']} to "
                f"{run['end']}; give a start in that span, or a later [run] end (--end)"
            )


def _check_parameters(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate parameter overrides against the registry; return them normalised.

    Integers given for float parameters become floats (so ``1`` and ``1.0`` hash the
    same); integral floats given for integer parameters become ints.
    """
    try:
        _parameters.validate(dict(values))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    out: dict[str, Any] = {}
    for key, value in values.items():
        default = _parameters.PARAMETERS[key].default
        if _is_number(value):
            if not math.isfinite(value):
                raise ScenarioError(
                    f"{where}: parameter '{key}' = {value!r} must be a finite number"
                )
            if isinstance(default, int) and not isinstance(default, bool):
                if value != int(value):
                    raise ScenarioError(
                        f"{where}: parameter '{key}' = {value!r} must be a whole number"
                    )
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
        out[key] = value
    return out


def check_policy(policy: Any, index: int, where: str) -> dict[str, Any]:
    """Validate one ``[[policies]]`` entry: name, start, strength, override, then its lever.

    Returns the entry as the lever check normalises it, with ``override = True`` kept
    for :func:`_merge_policies` if the entry has it.
    """
    at = f"[[policies]] #{index}"
    if not isinstance(policy, dict):
        raise ScenarioError(
            f"{where}: {at} must be a table written as [[policies]], got {_kind(policy)}"
        )
    name = policy.get("name")
    if name is None:
        raise ScenarioError(f'{where}: {at} has no name; add name = "..." to it')
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}: {at} name = {name!r} must be a non-empty string")
    at = f"[[policies]] #{index} ('{name}')"
    if "start" not in policy:
        raise ScenarioError(f'{where}: {at} has no start; add start = "YYYY-MM" to it')
    start = policy["start"]
    _check_month(start, f"{at} start", where)
    if not MODEL_START <= start <= LATEST_END:
        raise ScenarioError(
            f"{where}: {at} start = {start!r} is outside the model's calendar; give a month "
            f"from \"{MODEL_START}\" to \"{LATEST_END}\""
        )
    override = policy.get("override", False)
    if not isinstance(override, bool):
        raise ScenarioError(
            f"{where}: {at} override = {override!r} must be true or false (TOML true/false)"
        )
    out = {key: value for key, value in policy.items() if key != "override"}
    if "strength" in out:
        strength = out["strength"]
        if not _is_number(strength):
            raise ScenarioError(
                f"{where}: {at} strength must be a number between 0 and 1, got {strength!r}"
            )
        if not 0.0 <= strength <= 1.0:
            raise ScenarioError(
                f"{where}: {at} strength = {strength!r} is out of range; valid range is "
                "0 <= strength <= 1"
            )
        out["strength"] = float(strength)
    try:
        checked = POLICY_VALIDATOR(dict(out))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {at}: {exc}") from None
    if checked is not None:
        out = checked
    return {**out, "override": True} if override else out


def _merge_policies(groups: list[tuple[str, list[dict]]]) -> tuple[dict, ...]:
    """Entries of an inheritance chain (root first), one per lever.

    Args:
        groups: (file label, checked entries) for each file, root ancestor first.

    Raises:
        ScenarioError: For a lever set twice in one file, or set again by a child
            without ``override = true``, or an override with nothing to replace.
    """
    merged: list[dict] = []
    position: dict[str, int] = {}  # lever -> index in merged
    owner: dict[str, str] = {}  # lever -> label of the file whose entry stands
    for label, entries in groups:
        first: dict[str, int] = {}  # lever -> its first entry in this file
        for index, entry in enumerate(entries, 1):
            name = entry["name"]
            at = f"{label}: [[policies]] #{index} ('{name}')"
            override = entry.get("override", False)
            entry = {key: value for key, value in entry.items() if key != "override"}
            if name in first:
                raise ScenarioError(
                    f"{at} sets the same lever as [[policies]] #{first[name]}; a scenario "
                    "has one entry per lever, so merge the two entries into one"
                )
            first[name] = index
            if name in position:
                if not override:
                    raise ScenarioError(
                        f"{at}: '{name}' is already set by {owner[name]}; add override = "
                        "true to replace that entry, or remove one of the two"
                    )
                merged[position[name]] = entry
            elif override:
                raise ScenarioError(
                    f"{at} has override = true, but no parent sets '{name}'; remove "
                    "override = true"
                )
            else:
                position[name] = len(merged)
                merged.append(entry)
            owner[name] = label
    return tuple(merged)


def _check_month(value: Any, what: str, where: str) -> None:
    """Raise unless ``value`` is a 'YYYY-MM' string."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        raise ScenarioError(
            f"{where}: {what} = {value.isoformat()} must be a month in quotes, e.g. "
            f'"{value.year:04d}-{value.month:02d}"'
        )
    if not isinstance(value, str) or not _MONTH_RE.fullmatch(value):
        raise ScenarioError(
            f'{where}: {what} = {value!r} must be a month as "YYYY-MM", e.g. "2014-09"'
        )


def _reject_unknown(values: Mapping[str, Any], valid: tuple[str, ...], kind: str,
                    where: str) -> None:
    """Raise for the first key not in ``valid``, suggesting close matches."""
    for key in values:
        if key not in valid:
            home = _home_section(key)
            if home is not None and not kind.startswith(home):
                raise ScenarioError(
                    f"{where}: {kind.replace(' key', '')} has key '{key}', which belongs "
                    f"under {home}; move it there"
                )
            message = _parameters.unknown_key_message(kind, key, valid)
            if "did you mean" in message:
                message += f" (valid: {', '.join(valid)})"
            raise ScenarioError(f"{where}: {message}")


# --- helpers ----------------------------------------------------------------------


def _home_section(key: str) -> str | None:
    """Return the section a misplaced key belongs in, if it is a known key elsewhere."""
    if key in SCENARIO_KEYS:
        return "[scenario]"
    if key in RUN_KEYS:
        return "[run]"
    if key in _parameters.PARAMETERS:
        return "[parameters]"
    return None


def _build(name: str, description: str, path: Path | None, run: dict[str, Any],
           overrides: dict[str, Any], policies: tuple[dict, ...]) -> Scenario:
    """Assemble a Scenario from validated pieces."""
    full = _parameters.defaults()
    full.update(overrides)
    return Scenario(
        name=name,
        description=description,
        path=path,
        run={key: run[key] for key in RUN_KEYS},
        parameters=full,
        overrides=dict(overrides),
        policies=tuple(dict(p) for p in policies),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """Describe a TOML value's type for error messages."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"the value {value!r}"


def _jsonable(value: Any) -> Any:
    """Convert TOML values (including dates and times) into plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.time)):  # datetime is a subclass of date
        return value.isoformat()
    return value
