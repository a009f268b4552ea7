"""The whole state of a model between two months, to continue it later or fork it.

:meth:`SendModel.snapshot() <sendabm.core.model.SendModel.snapshot>` returns a
:class:`Snapshot`: every array, counter, queue, random-number state and Mesa-visible
state of the model (its step count, its ``random`` and ``rng``, its agents' ids and
its DataCollector's rows), as numpy arrays plus a JSON-able manifest.
:meth:`SendModel.from_snapshot <sendabm.core.model.SendModel.from_snapshot>` builds a
model that continues from it, under the same scenario or one whose policies start at
or after the snapshot month, and gives results identical bit for bit to running that
scenario from the start: draws are keyed by (run key, stream, child, month), so the
restored state is all a month needs.

**Complete by construction.** The snapshot walks the model's attributes, and those of
every actor state object they hold (the LAs, schools, special schools, providers, the
tribunal, the onset schedule, ...), and saves each one generically: arrays, numbers,
strings, dates, lists, tuples, deques, dicts and nested state objects. The only
attributes not saved are listed, with the reason, in :data:`SETTINGS` (fixed by the
scenario, areas and engine, which the snapshot checks instead) and :data:`DERIVED`
(rebuilt on load, or recomputed at the start of the next month). An attribute added
later is saved without anyone remembering to; one of a type the walk does not know
stops :meth:`~sendabm.core.model.SendModel.snapshot` with a one-line error
(``tests/test_snapshot.py`` checks both).

**Same past.** A snapshot taken at month *m* (the next month to simulate) continues a
scenario only if that scenario would have simulated the same months before *m*: the
same run settings (start, end, seed, scale), parameters, engine, areas and LA
dispositions, and the same policies among those that have acted (started before
*m*). :func:`past_difference` names the first difference.

The on-disk format (a folder of ``.npy`` arrays and a JSON manifest, written
atomically) is :mod:`sendabm.experiments.snapshots`.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import itertools
import json
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import sendabm
from sendabm.core import calendar
from sendabm.core.population import Families
from sendabm.core.scenario import Scenario, ScenarioError, from_dict

if TYPE_CHECKING:  # pragma: no cover
    from sendabm.core.model import SendModel

FORMAT = 1
"""Version of the snapshot layout (the manifest's ``format``)."""

SETTINGS: dict[str, str] = {
    "scenario": "the scenario; its past is compared (past_difference)",
    "params": "the scenario's parameters",
    "base_p": "the scenario's parameters, as a vector",
    "seed_value": "the scenario's seed",
    "key": "the run key, from the seed",
    "scale": "the scenario's scale",
    "end_tick": "the scenario's end",
    "engine": "the engine, compared",
    "areas": "the areas, compared by hash",
    "dispositions": "the LA dispositions, compared by hash",
    "_seed": "Mesa's seed: the scenario's",
    "_rng": "Mesa's initial generator state, from the seed",
}
"""Model attributes fixed by what the model was built from (checked, not saved)."""

VIEWS = ("la_agents", "school_agents", "special_agents", "provider_agents")
"""Lists of Mesa views over actor arrays (:meth:`SendModel._build_views`); their ids are
saved."""

DERIVED: dict[str, str] = {
    "p": "the month's parameters: recomputed from the scenario's policies",
    "effects": "the month's policy effects: recomputed from the scenario's policies",
    "override_end_tick": "from the month's parameters, recomputed with them",
    "backend": "the engine's functions, rebuilt from the engine",
    "_clock": "wall time per phase (profiling, not state): starts again at zero",
    "_partials": "the counting kernel's scratch buffers, cleared before each use (rebuilt)",
    "la_agents": "Mesa views of the LAs, rebuilt in the same order (same ids)",
    "school_agents": "Mesa views of the schools, rebuilt in the same order (same ids)",
    "special_agents": "Mesa views of the special schools, rebuilt in the same order",
    "provider_agents": "Mesa views of the providers, rebuilt in the same order",
    "_family_views": "Mesa views of families: their rows and ids are saved, views rebuilt",
    "datacollector": "Mesa's DataCollector: its rows (model_vars) are saved, it is rebuilt",
    "_agents": "Mesa's agent registry, refilled as the views are rebuilt",
    "_agents_by_type": "Mesa's agent registry, refilled as the views are rebuilt",
    "_all_agents": "Mesa's agent registry, refilled as the views are rebuilt",
    "_user_step": "Mesa's wrapped step method",
    "step": "Mesa's wrapped step method",
}
"""Model attributes rebuilt on load (not saved), with the reason."""


class SnapshotError(ScenarioError):
    """A snapshot cannot be taken, read or continued. The message is always one line."""


@dataclass(eq=False)
class Snapshot:
    """A model's state between two months.

    Attributes:
        manifest: JSON-able description: format, package version, month and tick, the
            scenario (and its hash), seed, scale, engine, the past's hash, and the
            state tree (``state``) whose array leaves name entries of ``arrays``.
        arrays: Array name -> numpy array (the snapshot's own copies).
    """

    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def month(self) -> str:
        """Next month to simulate, 'YYYY-MM'."""
        return self.manifest["month"]

    @property
    def tick(self) -> int:
        """Next month to simulate, tick."""
        return int(self.manifest["tick"])

    @property
    def seed(self) -> int:
        """The run's seed."""
        return int(self.manifest["seed"])

    @property
    def scenario(self) -> Scenario:
        """The scenario the snapshot's model ran."""
        return from_dict(self.manifest["scenario"])

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(a.nbytes for a in self.arrays.values())


# ---------------------------------------------------------------- taking a snapshot --


def take(model: SendModel) -> Snapshot:
    """The snapshot of ``model`` now (between two months).

    Raises:
        SnapshotError: An attribute's type cannot be saved (one line naming it).
    """
    arrays: dict[str, np.ndarray] = {}
    encode = _Encoder(model, arrays)
    state = {name: encode(value, name) for name, value in vars(model).items()
             if name not in SETTINGS and name not in DERIVED}
    views = model._family_views
    state["__family_views__"] = encode(
        np.array([[row, view.unique_id] for row, view in views.items()], dtype=np.int64)
        .reshape(-1, 2), "__family_views__")
    state["__model_vars__"] = encode(model.datacollector.model_vars, "__model_vars__")
    state["__next_agent_id__"] = encode(_next_agent_id(model), "__next_agent_id__")
    state["__view_ids__"] = encode(
        {name: np.array([view.unique_id for view in getattr(model, name)], dtype=np.int64)
         for name in VIEWS}, "__view_ids__")
    scen = model.scenario
    manifest = {
        "format": FORMAT,
        "package": "sendabm",
        "version": sendabm.__version__,
        "month": calendar.label(model.tick),
        "tick": int(model.tick),
        "seed": int(model.seed_value),
        "scale": float(model.scale),
        "engine": model.engine,
        "scenario_name": scen.name,
        "scenario_hash": scen.hash(),
        "scenario": scen.to_dict(),
        "past_hash": past_hash(model.scenario, model.tick, model.engine, model.areas,
                               model.dispositions),
        "areas_hash": areas_hash(model.areas),
        "dispositions_hash": dispositions_hash(model.dispositions, model.areas),
        "state": state,
    }
    return Snapshot(manifest=manifest, arrays=arrays)


def _next_agent_id(model: SendModel) -> int:
    """The id Mesa gives the model's next agent (read without using it up)."""
    import mesa

    counter = mesa.Agent._ids[model]
    value = next(counter)
    mesa.Agent._ids[model] = itertools.count(value)
    return value


class _Encoder:
    """Turns a value into a JSON-able node, moving arrays into ``arrays`` (copied)."""

    def __init__(self, model: Any, arrays: dict[str, np.ndarray]):
        self.model = model
        self.arrays = arrays

    def __call__(self, value: Any, path: str) -> dict[str, Any]:
        if value is self.model:
            return {"t": "model"}
        if value is None or type(value) in (bool, int, float, str):
            return {"t": type(value).__name__, "v": value}
        if isinstance(value, np.generic):
            return {"t": "scalar", "dtype": value.dtype.str, "v": value.item()}
        if isinstance(value, np.ndarray):
            return self._array(value, path)
        if isinstance(value, datetime.date):
            return {"t": "date", "v": value.isoformat()}
        if isinstance(value, Families):
            return {"t": "families",
                    "columns": {k: self._array(v, f"{path}.{k}")
                                for k, v in value._asdict().items()}}
        if isinstance(value, deque):
            return {"t": "deque", "maxlen": value.maxlen,
                    "items": self._sequence(list(value), path, "list")}
        if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
            return self._sequence(value, path, type(value).__name__)
        if isinstance(value, dict) and type(value) is dict:
            return {"t": "dict", "items": [[self(k, f"{path}.key{i}"), self(v, f"{path}.{i}")]
                                           for i, (k, v) in enumerate(value.items())]}
        if isinstance(value, random.Random):
            return {"t": "random", "state": _lists(value.getstate())}
        if isinstance(value, np.random.Generator):
            return {"t": "generator", "state": value.bit_generator.state}
        if type(value).__module__.startswith("sendabm.") and hasattr(value, "__dict__"):
            return {"t": "object", "class": _class_name(value),
                    "attrs": {k: self(v, f"{path}.{k}") for k, v in vars(value).items()}}
        raise SnapshotError(
            f"cannot snapshot '{path}' of type {type(value).__name__}; save it as arrays, "
            "numbers or containers of them, or list it in sendabm.core.snapshot.DERIVED "
            "with how it is rebuilt")

    def _array(self, value: np.ndarray, path: str) -> dict[str, Any]:
        if value.dtype.hasobject:
            raise SnapshotError(f"cannot snapshot '{path}': an array of Python objects; "
                                "hold numbers in it")
        self.arrays[path] = np.array(value, copy=True)
        return {"t": "array", "key": path}

    def _sequence(self, items: list | tuple, path: str, kind: str) -> dict[str, Any]:
        """Lists of same-shaped arrays or of floats are stored as one array."""
        if items and all(isinstance(a, np.ndarray) for a in items) and len(
                {(a.shape, a.dtype.str) for a in items}) == 1:
            return {**self._array(np.stack(items), path), "t": "stack", "kind": kind}
        if items and all(type(v) is float for v in items):
            return {**self._array(np.array(items, dtype=np.float64), path), "t": "floats",
                    "kind": kind}
        return {"t": kind, "items": [self(v, f"{path}.{i}") for i, v in enumerate(items)]}


def _class_name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


# ------------------------------------------------------------------ restoring one --


def restore(model: SendModel, snapshot: Snapshot) -> None:
    """Put ``snapshot``'s state into ``model``, which :meth:`SendModel.__init__
    <sendabm.core.model.SendModel>` has configured (from a scenario with the same past,
    :func:`past_difference`) but not set up; then rebuild what :data:`DERIVED` lists.
    The snapshot's arrays are copied, so it can be restored again."""
    import mesa

    state = dict(snapshot.manifest["state"])
    decode = _Decoder(model, snapshot.arrays)
    views = decode(state.pop("__family_views__"))
    rows = decode(state.pop("__model_vars__"))
    next_id = decode(state.pop("__next_agent_id__"))
    view_ids = decode(state.pop("__view_ids__"))
    for name, node in state.items():
        if node["t"] in ("random", "generator"):
            decode.into(getattr(model, name), node)
        else:
            setattr(model, name, decode(node))
    model._build_views()
    for name, ids in view_ids.items():
        for view, unique_id in zip(getattr(model, name), ids.tolist(), strict=True):
            view.unique_id = unique_id
    for row, unique_id in views:
        model.family(int(row)).unique_id = int(unique_id)
    model.datacollector.model_vars = rows
    mesa.Agent._ids[model] = itertools.count(int(next_id))
    _register_in_id_order(model)
    # The month's parameters and effects as the last simulated month left them.
    tick = model.tick
    model.tick = max(calendar.tick_of(model.scenario.run["start"]), tick - 1)
    model._apply_policies()
    model.tick = tick


def _register_in_id_order(model: SendModel) -> None:
    """Re-register the model's agents in the order of their ids: Mesa numbers an agent
    as it registers it, so that is the order a model run from the start lists them in."""
    agents = sorted(model.agents, key=lambda agent: agent.unique_id)
    for agent in agents:
        model.deregister_agent(agent)
    for agent in agents:
        model.register_agent(agent)


class _Decoder:
    """Turns nodes back into values (arrays copied, state objects made anew)."""

    def __init__(self, model: Any, arrays: dict[str, np.ndarray]):
        self.model = model
        self.arrays = arrays

    def __call__(self, node: dict[str, Any]) -> Any:
        kind = node["t"]
        simple: dict[str, Callable[[Any], Any]] = {
            "NoneType": lambda v: None, "bool": bool, "int": int, "float": float, "str": str,
            "date": datetime.date.fromisoformat}
        if kind in simple:
            return simple[kind](node["v"])
        if kind == "model":
            return self.model
        if kind == "scalar":
            return np.dtype(node["dtype"]).type(node["v"])
        if kind == "array":
            return self._array(node)
        if kind == "families":
            return Families(**{k: self._array(v) for k, v in node["columns"].items()})
        if kind == "stack":
            stacked = self._array(node)
            items = [stacked[i] for i in range(stacked.shape[0])]
            return items if node["kind"] == "list" else tuple(items)
        if kind == "floats":
            items = self._array(node).tolist()
            return items if node["kind"] == "list" else tuple(items)
        if kind == "deque":
            return deque(self(node["items"]), maxlen=node["maxlen"])
        if kind in ("list", "tuple"):
            items = [self(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {self(k): self(v) for k, v in node["items"]}
        if kind == "object":
            return self._object(node)
        raise SnapshotError(f"unknown snapshot node '{kind}'; the snapshot was written by "
                            "another version of sendabm")

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        return np.array(self.arrays[node["key"]], copy=True)

    def _object(self, node: dict[str, Any]) -> Any:
        """A state object of the snapshot's class, its attributes set (its ``__init__`` is
        not run: the attributes are its whole state). A Mesa agent is registered with the
        model, as its ``__init__`` would have."""
        import mesa

        module, _, name = node["class"].rpartition(".")
        if not module.startswith("sendabm.core"):
            raise SnapshotError(f"the snapshot holds a {node['class']}, which is not model "
                                "state; it was not written by sendabm")
        cls = getattr(importlib.import_module(module), name, None)
        if not isinstance(cls, type):
            raise SnapshotError(f"the snapshot holds a {node['class']}, which this version "
                                "does not have; save it again with this version")
        obj = cls.__new__(cls)
        for attr, child in node["attrs"].items():
            setattr(obj, attr, self(child))
        if isinstance(obj, mesa.Agent):
            self.model.register_agent(obj)
        return obj

    @staticmethod
    def into(target: Any, node: dict[str, Any]) -> None:
        """Restore a random-number generator's state into the model's own."""
        if node["t"] == "random":
            target.setstate(_tuples(node["state"]))
        else:
            target.bit_generator.state = node["state"]


# ------------------------------------------------------------------------ the past --


def past_of(scenario: Scenario, tick: int, engine: str) -> dict[str, Any]:
    """What a model simulating ``scenario`` used before month ``tick``: run settings,
    parameters, engine, and the policies that had acted by then (started before
    ``tick``, or at the run start if ``tick`` is the start), in lever order."""
    start = calendar.tick_of(scenario.run["start"])
    acted = max(start, tick - 1)
    policies = [_plain(p) for p in scenario.policies if calendar.tick_of(p["start"]) <= acted]
    return {"run": _plain(scenario.run), "parameters": _plain(scenario.parameters),
            "engine": engine, "policies": sorted(policies, key=_canonical)}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists, dates as text)."""
    return json.loads(_canonical(value))


def past_hash(scenario: Scenario, tick: int, engine: str, areas: Any = None,
              dispositions: Any = None) -> str:
    """Hash of :func:`past_of` with the areas and dispositions (None: not included, for
    callers that always use the same): two models with the same one simulate the same
    months up to ``tick``."""
    payload: dict[str, Any] = {"past": past_of(scenario, tick, engine)}
    if areas is not None:
        payload["areas"] = areas_hash(areas)
        payload["dispositions"] = dispositions_hash(dispositions, areas)
    return _digest(_canonical(payload).encode())


def past_difference(snapshot: Snapshot, scenario: Scenario, engine: str, areas: Any,
                    dispositions: Any) -> str | None:
    """Why ``scenario`` (with ``engine``, ``areas``, ``dispositions``) cannot continue from
    ``snapshot`` (one line), or None if it can."""
    month = snapshot.month
    mine = past_of(snapshot.scenario, snapshot.tick, snapshot.manifest["engine"])
    theirs = past_of(scenario, snapshot.tick, engine)
    for key in ("start", "end", "seed", "scale"):
        if mine["run"][key] != theirs["run"][key]:
            return (f"the scenario's {key} is {theirs['run'][key]!r} but the snapshot's is "
                    f"{mine['run'][key]!r}; run with {key} {mine['run'][key]!r}")
    if mine["engine"] != theirs["engine"]:
        return (f"the snapshot was taken with engine '{mine['engine']}', not "
                f"'{theirs['engine']}'; use engine '{mine['engine']}'")
    changed = [k for k in mine["parameters"] if mine["parameters"][k]
               != theirs["parameters"].get(k)]
    if changed:
        k = changed[0]
        return (f"parameter '{k}' is {theirs['parameters'].get(k)!r} in the scenario but "
                f"{mine['parameters'][k]!r} in the snapshot, which it would change before "
                f"{month}; continue only scenarios that differ from {month} on")
    if mine["policies"] != theirs["policies"]:
        names = sorted({p["name"] for p in mine["policies"]} ^ {p["name"] for p in
                                                                 theirs["policies"]}
                       or {p["name"] for p in theirs["policies"]})
        return (f"policy '{names[0] if names else '?'}' differs from the snapshot's before "
                f"{month}; policies may only be added or changed from {month} on")
    if areas_hash(areas) != snapshot.manifest["areas_hash"]:
        return "the areas differ from the snapshot's; give the areas the snapshot was taken with"
    if dispositions_hash(dispositions, areas) != snapshot.manifest["dispositions_hash"]:
        return ("the LA dispositions differ from the snapshot's; give the dispositions the "
                "snapshot was taken with")
    return None


def areas_hash(areas: Any) -> str:
    """Hash of everything about the areas a run uses."""
    indptr, indices = areas.neighbours_csr()
    parts = [json.dumps([list(areas.codes), list(areas.names), list(areas.region_names)])
             .encode()]
    parts += [np.ascontiguousarray(a).tobytes() for a in (areas.regions, areas.pupils,
                                                          indptr, indices)]
    return _digest(b"\0".join(parts))


def dispositions_hash(dispositions: Any, areas: Any) -> str:
    """Hash of the dispositions the areas' LAs get (their yearly deviations too, if any)."""
    data = np.ascontiguousarray(dispositions.for_codes(areas.codes)).tobytes()
    if dispositions.years:
        data += json.dumps(list(dispositions.years)).encode() + np.ascontiguousarray(
            dispositions.yearly_for_codes(areas.codes)).tobytes()
    return _digest(data)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
