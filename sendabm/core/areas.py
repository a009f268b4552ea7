"""Local areas: England's local authorities as a network of neighbouring areas.

An :class:`Areas` holds the local authorities (LAs) the model runs over: a code, a
name, a region and a pupil count per LA, plus an undirected neighbour graph (LAs
that share a border). Area ``i`` is row ``i`` of the file it came from and node ``i``
of :attr:`Areas.graph`.

:func:`synthetic_england` returns the built-in default: the 152 English LAs with
SEND duties (2014-2019 boundaries, i.e. before the Dorset, Northamptonshire and
Cumbria reorganisations) in the 9 English regions, with approximate pupil numbers
scaled to total exactly 9,092,073 (January 2024 school census, state-funded and
independent schools) and an approximate adjacency. It is read from
``sendabm/data/areas_england.csv``, which is also an example of the CSV format.

User files (see ``docs/areas.md``), loaded with :func:`load_areas`:

* CSV (``.csv``, UTF-8): header ``code,name,region,pupils,neighbours``, one row per
  area. ``neighbours`` is a ``;``-separated list of codes; an edge listed on either
  side counts (the graph is symmetrised). ``region`` is any text; the regions are the
  distinct values in order of first appearance. Extra columns are ignored.
* GraphML (``.graphml``): one ``<node>`` per area with ``id`` = code and attributes
  ``name``, ``region`` and ``pupils``; edges are neighbour pairs (direction ignored).

Pupils must be whole numbers > 0, codes unique, at least 2 areas, and the neighbour
graph connected; self-loops are ignored. Anything else raises :class:`AreasError`
with a one-line message that names the problem and the fix.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np

REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
"""The 9 English regions, in the order used by :func:`synthetic_england`."""

REQUIRED_COLUMNS: tuple[str, ...] = ("code", "name", "region", "pupils", "neighbours")
"""Columns a CSV areas file must have (extra columns are ignored)."""

GRAPHML_ATTRIBUTES: tuple[str, ...] = ("name", "region", "pupils")
"""Node attributes a GraphML areas file must give every node."""

MAX_PUPILS_PER_AREA = 1_000_000_000
"""Largest pupil count accepted for one area (guards against typos and overflow)."""

_DOCS = "docs/areas.md"
_DEFAULT_FILE = "areas_england.csv"
_INT_RE = re.compile(r"\+?[0-9]+")
_MAX_REGIONS = int(np.iinfo(np.int8).max) + 1


class AreasError(ValueError):
    """An areas file or :class:`Areas` is invalid; the message is one line."""


@dataclass(frozen=True, eq=False, repr=False)
class Areas:
    """Local areas with pupil numbers, regions and a neighbour graph.

    Immutable: the arrays are read-only and the graph is frozen
    (``nx.Graph(areas.graph)`` gives a mutable copy). Construction validates and
    normalises the fields; node attributes of :attr:`graph` are rebuilt from the
    other fields, so only the edges of the graph passed in are used.

    Attributes:
        codes: Unique short codes (ONS codes for the default), one per area.
        names: Area names.
        regions: int8 array, the region of each area as an index into ``region_names``.
        region_names: Distinct region names.
        pupils: int64 array, pupils per area (all > 0).
        graph: Undirected, connected neighbour graph on nodes ``0..n-1`` with node
            attributes ``code``, ``name``, ``region`` (str) and ``pupils`` (int).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    regions: np.ndarray
    region_names: tuple[str, ...]
    pupils: np.ndarray
    graph: nx.Graph

    def __post_init__(self) -> None:
        codes = tuple(self.codes)
        names = tuple(self.names)
        region_names = tuple(self.region_names)
        n = len(codes)
        for label, values in (("codes", codes), ("names", names), ("region_names", region_names)):
            for v in values:
                if not isinstance(v, str) or not v.strip() or _has_line_break(v):
                    raise AreasError(
                        f"Areas.{label} contains {v!r}; use non-empty single-line strings"
                    )
        if len(names) != n:
            raise AreasError(f"Areas has {n} codes but {len(names)} names; give one name per area")
        if len(set(codes)) != n:
            dup = _first_duplicate(codes)
            raise AreasError(f"Areas has duplicate code {dup!r}; codes must be unique")
        if len(set(region_names)) != len(region_names):
            dup = _first_duplicate(region_names)
            raise AreasError(f"Areas has duplicate region name {dup!r}; list each region once")
        if len(region_names) > _MAX_REGIONS:
            raise AreasError(
                f"Areas has {len(region_names)} regions; at most {_MAX_REGIONS} are supported"
            )
        regions = np.asarray(self.regions)
        if regions.shape != (n,) or regions.dtype.kind not in "iu":
            raise AreasError(
                f"Areas.regions must be {n} integers (one per area), got shape {regions.shape} "
                f"dtype {regions.dtype}"
            )
        if n and (regions.min() < 0 or regions.max() >= len(region_names)):
            raise AreasError(f"Areas.regions must index region_names (0..{len(region_names) - 1})")
        pupils = np.asarray(self.pupils)
        if pupils.shape != (n,) or pupils.dtype.kind not in "iu":
            raise AreasError(
                f"Areas.pupils must be {n} integers (one per area), got shape {pupils.shape} "
                f"dtype {pupils.dtype}"
            )
        bad = np.flatnonzero((pupils <= 0) | (pupils > MAX_PUPILS_PER_AREA))
        if bad.size:
            i = int(bad[0])
            raise AreasError(
                f"Areas.pupils for {names[i]!r} ({codes[i]}) is {pupils[i]}; "
                f"pupils must be whole numbers in 1..{MAX_PUPILS_PER_AREA}"
            )
        if not isinstance(self.graph, nx.Graph):
            raise AreasError(
                f"Areas.graph must be a networkx graph, got {type(self.graph).__name__}"
            )
        if set(self.graph.nodes) != set(range(n)):
            raise AreasError(f"Areas.graph must have exactly the nodes 0..{n - 1}")
        regions = regions.astype(np.int8)
        pupils = pupils.astype(np.int64)
        graph = nx.Graph()
        for i in range(n):
            graph.add_node(
                i,
                code=codes[i],
                name=names[i],
                region=region_names[int(regions[i])],
                pupils=int(pupils[i]),
            )
        graph.add_edges_from((u, v) for u, v in self.graph.edges() if u != v)
        _check_network(graph, codes, names, "Areas")
        regions.setflags(write=False)
        pupils.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "region_names", region_names)
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "pupils", pupils)
        object.__setattr__(self, "graph", nx.freeze(graph))

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.codes)

    def neighbours_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The neighbour lists in compressed sparse row form, for numba kernels.

        Returns:
            ``(indptr, indices)``: the neighbours of area ``i`` are
            ``indices[indptr[i]:indptr[i + 1]]``, sorted ascending. ``indptr`` is int64
            of length ``n + 1``; ``indices`` is int32. Fresh arrays on every call.
        """
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        lists = [sorted(self.graph[i]) for i in range(self.n)]
        np.cumsum([len(nb) for nb in lists], out=indptr[1:])
        indices = np.fromiter(
            (j for nb in lists for j in nb), dtype=np.int32, count=int(indptr[-1])
        )
        return indptr, indices

    def share(self) -> np.ndarray:
        """Each area's share of all pupils (float64, sums to 1)."""
        return self.pupils.astype(np.float64) / float(self.pupils.sum())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Areas):
            return NotImplemented
        return (
            self.codes == other.codes
            and self.names == other.names
            and self.region_names == other.region_names
            and np.array_equal(self.regions, other.regions)
            and np.array_equal(self.pupils, other.pupils)
            and _edge_set(self.graph) == _edge_set(other.graph)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Areas(n={self.n}, regions={len(self.region_names)}, "
            f"pupils={int(self.pupils.sum())}, edges={self.graph.number_of_edges()})"
        )


@functools.lru_cache(maxsize=1)
def synthetic_england() -> Areas:
    """The 152 English local authorities with SEND duties, in the 9 regions.

    Read from the packaged ``sendabm/data/areas_england.csv``. Pupil numbers are
    approximations (rounded estimates, scaled so the total is exactly 9,092,073, the
    January 2024 census count); neighbours are approximate (see ``docs/areas.md``).
    Deterministic; the same immutable object is returned on every call.

    Returns:
        The default :class:`Areas`, with ``region_names == REGIONS``.
    """
    ref = resources.files("sendabm") / "data" / _DEFAULT_FILE
    with resources.as_file(ref) as path:
        return load_areas(path)


def load_areas(path: str | os.PathLike[str]) -> Areas:
    """Load areas from a CSV or GraphML file (format chosen by the extension).

    Args:
        path: A ``.csv`` or ``.graphml`` file in the formats described in the module
            docstring and ``docs/areas.md``.

    Returns:
        The validated :class:`Areas`, in file order.

    Raises:
        AreasError: The file is missing, has an unknown extension, or its content is
            invalid (missing column or attribute, bad pupils, duplicate or unknown
            code, fewer than 2 areas, disconnected neighbour graph, ...).
    """
    p = Path(path)
    src = os.fspath(path)
    if not p.exists():
        raise AreasError(
            f"areas file {src!r} not found; pass a CSV or GraphML file as described in {_DOCS}"
        )
    if p.is_dir():
        raise AreasError(f"areas file {src!r} is a directory; pass a CSV or GraphML file ({_DOCS})")
    ext = p.suffix.lower()
    if ext == ".csv":
        return _read_csv(p, src)
    if ext == ".graphml":
        return _read_graphml(p, src)
    raise AreasError(
        f"areas file {src!r} has unknown extension {p.suffix or '(none)'!r}; "
        f"use .csv or .graphml as described in {_DOCS}"
    )


def write_areas_csv(areas: Areas, path: str | os.PathLike[str]) -> None:
    """Write areas as a CSV file that :func:`load_areas` reads back equal.

    Every edge is listed on both of its ends; neighbours appear in area order.

    Args:
        areas: The areas to write.
        path: Destination ``.csv`` file (overwritten; its directory must exist).

    Raises:
        AreasError: A code contains ``;``, which separates neighbour codes.
    """
    for code in areas.codes:
        if ";" in code or code != code.strip():
            raise AreasError(
                f"code {code!r} cannot be written to CSV (it contains ';' or surrounding "
                f"spaces); rename it or save as GraphML"
            )
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(REQUIRED_COLUMNS)
        for i in range(areas.n):
            w.writerow(
                [
                    areas.codes[i],
                    areas.names[i],
                    areas.region_names[int(areas.regions[i])],
                    int(areas.pupils[i]),
                    ";".join(areas.codes[j] for j in sorted(areas.graph[i])),
                ]
            )


# --- readers -----------------------------------------------------------------------


def _read_csv(path: Path, src: str) -> Areas:
    """Parse and validate a CSV areas file."""
    where = f"areas file {src!r}"
    records: list[tuple[int, list[str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            try:
                start = 1  # a quoted field may span lines: report where the row starts
                for row in reader:
                    if any(cell.strip() for cell in row):
                        records.append((start, row))
                    start = reader.line_num + 1
            except csv.Error as e:
                raise AreasError(
                    f"{where} line {reader.line_num}: {e}; check the quoting of that row"
                ) from None
    except UnicodeDecodeError:
        raise AreasError(f"{where} is not UTF-8 text; save it as UTF-8 CSV") from None
    if not records:
        raise AreasError(
            f"{where} is empty; it needs the header {','.join(REQUIRED_COLUMNS)} and one row "
            f"per area ({_DOCS})"
        )
    _, header_row = records[0]
    header = [h.strip().lower() for h in header_row]
    dup = _first_duplicate(header)
    if dup is not None:
        raise AreasError(f"{where} has column {dup!r} twice; keep one")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        cols = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise AreasError(
            f"{where} is missing column{plural} {cols}; required columns are "
            f"{','.join(REQUIRED_COLUMNS)} ({_DOCS})"
        )
    col = {c: header.index(c) for c in REQUIRED_COLUMNS}

    codes: list[str] = []
    names: list[str] = []
    region_strs: list[str] = []
    pupils: list[int] = []
    neighbour_lists: list[list[str]] = []
    lines: list[int] = []
    first_line: dict[str, int] = {}
    for line, row in records[1:]:
        if len(row) != len(header):
            raise AreasError(
                f"{where} line {line} has {len(row)} fields but the header has {len(header)}; "
                f"quote values that contain commas and close every opening quote"
            )
        code = row[col["code"]].strip()
        row_where = f"{where} line {line}"
        if not code:
            raise AreasError(f"{row_where}: empty code; every area needs a unique code")
        row_where = f"{where} line {line} ({code!r})"
        if ";" in code or _has_line_break(code):
            raise AreasError(
                f"{row_where}: code contains ';' or a line break; ';' separates neighbour "
                f"codes, so rename the code"
            )
        if code in first_line:
            raise AreasError(
                f"{where} line {line}: duplicate code {code!r} (first on line "
                f"{first_line[code]}); codes must be unique"
            )
        first_line[code] = line
        name = _text_field(row[col["name"]], "name", row_where)
        region = _text_field(row[col["region"]], "region", row_where)
        row_where = f"{where} line {line} ({code!r}, {name!r})"
        codes.append(code)
        names.append(name)
        region_strs.append(region)
        pupils.append(_parse_pupils(row[col["pupils"]], row_where))
        neighbour_lists.append([c.strip() for c in row[col["neighbours"]].split(";") if c.strip()])
        lines.append(line)

    index = {c: i for i, c in enumerate(codes)}
    edges: list[tuple[int, int]] = []
    for i, nbs in enumerate(neighbour_lists):
        for c in nbs:
            j = index.get(c)
            if j is None:
                raise AreasError(
                    f"{where} line {lines[i]} ({codes[i]!r}): neighbour {c!r} is not a code "
                    f"in the file; fix the code or add a row for it"
                )
            edges.append((i, j))
    return _build(codes, names, region_strs, pupils, edges, where)


def _read_graphml(path: Path, src: str) -> Areas:
    """Parse and validate a GraphML areas file."""
    where = f"areas file {src!r}"
    try:
        tree = ET.parse(path)
    except ET.ParseError as e:
        raise AreasError(
            f"{where} is not valid XML ({_one_line(e)}); save it as GraphML ({_DOCS})"
        ) from None
    ids = [el.get("id") for el in tree.iter() if _local_tag(el.tag) == "node"]
    for node_id in ids:
        if node_id is None or not node_id.strip() or _has_line_break(node_id):
            raise AreasError(
                f"{where}: a <node> has a missing or blank id; the id is the area code"
            )
    dup = _first_duplicate(ids)
    if dup is not None:
        raise AreasError(f"{where}: duplicate node id {dup!r}; codes must be unique")
    try:
        g = nx.read_graphml(path)
    except (nx.NetworkXError, ET.ParseError, ValueError, KeyError, TypeError) as e:
        raise AreasError(f"{where} is not valid GraphML ({_one_line(e)}); see {_DOCS}") from None
    declared = set(ids)
    for node in g.nodes:
        if node not in declared:
            raise AreasError(
                f"{where}: an edge refers to node {node!r}, which is not declared as a "
                f"<node>; fix the edge or add the node"
            )
    codes: list[str] = []
    names: list[str] = []
    region_strs: list[str] = []
    pupils: list[int] = []
    for code in ids:
        data = g.nodes[code]
        node_where = f"{where} node {code!r}"
        for attr in GRAPHML_ATTRIBUTES:
            if attr not in data:
                raise AreasError(
                    f"{node_where} is missing attribute {attr!r}; every node needs "
                    f"{', '.join(GRAPHML_ATTRIBUTES)} ({_DOCS})"
                )
        name = _text_field(data["name"], "name", node_where)
        node_where = f"{where} node {code!r} ({name!r})"
        codes.append(code)
        names.append(name)
        region_strs.append(_text_field(data["region"], "region", node_where))
        pupils.append(_parse_pupils(data["pupils"], node_where))
    index = {c: i for i, c in enumerate(codes)}
    edges = [(index[u], index[v]) for u, v in g.edges()]
    return _build(codes, names, region_strs, pupils, edges, where)


# --- helpers -----------------------------------------------------------------------


def _build(
    codes: Sequence[str],
    names: Sequence[str],
    region_strs: Sequence[str],
    pupils: Sequence[int],
    edges: Iterable[tuple[int, int]],
    where: str,
) -> Areas:
    """Assemble :class:`Areas` after the whole-file checks, naming the file in errors."""
    n = len(codes)
    if n < 2:
        raise AreasError(
            f"{where} has {n} area{'s' if n != 1 else ''}; the model needs at least 2 "
            f"neighbouring areas"
        )
    region_names = tuple(dict.fromkeys(region_strs))
    if len(region_names) > _MAX_REGIONS:
        raise AreasError(
            f"{where} has {len(region_names)} distinct regions; at most {_MAX_REGIONS} are "
            f"supported, so group areas into fewer regions"
        )
    region_index = {r: k for k, r in enumerate(region_names)}
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((u, v) for u, v in edges if u != v)
    _check_network(graph, codes, names, where)
    return Areas(
        codes=tuple(codes),
        names=tuple(names),
        regions=np.array([region_index[r] for r in region_strs], dtype=np.int8),
        region_names=region_names,
        pupils=np.array(pupils, dtype=np.int64),
        graph=graph,
    )


def _check_network(graph: nx.Graph, codes: Sequence[str], names: Sequence[str], where: str) -> None:
    """Raise unless there are at least 2 areas and the neighbour graph is connected."""
    n = graph.number_of_nodes()
    if n < 2:
        raise AreasError(f"{where} has {n} area(s); the model needs at least 2")
    if nx.is_connected(graph):
        return
    comps = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    smallest = comps[-1]
    i = min(smallest)
    raise AreasError(
        f"{where}: the neighbour graph is not connected ({len(comps)} components); "
        f"{names[i]!r} ({codes[i]}) is in a component of {len(smallest)} area(s) cut off "
        f"from the largest ({len(comps[0])} areas); add a neighbour linking it to the rest"
    )


def _parse_pupils(value: object, where: str) -> int:
    """A positive whole pupil count from a CSV cell or GraphML attribute."""
    v: int | None = None
    if isinstance(value, (bool, np.bool_)):
        v = None
    elif isinstance(value, (int, np.integer)):
        v = int(value)
    elif isinstance(value, (float, np.floating)):
        v = int(value) if float(value).is_integer() else None
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        v = int(value.strip())
    if v is None or v <= 0:
        raise AreasError(
            f"{where}: pupils {value!r} is not a positive whole number; give the pupil "
            f"count as an integer > 0, e.g. 15000"
        )
    if v > MAX_PUPILS_PER_AREA:
        raise AreasError(
            f"{where}: pupils {v} is implausibly large (max {MAX_PUPILS_PER_AREA}); check the value"
        )
    return v


def _text_field(value: object, field: str, where: str) -> str:
    """A non-empty single-line text value, stripped."""
    text = str(value).strip()
    if not text:
        raise AreasError(f"{where}: empty {field}; every area needs a {field}")
    if _has_line_break(text):
        raise AreasError(f"{where}: {field} {text!r} contains a line break; remove it")
    return text


def _has_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


def _first_duplicate(values: Iterable[object]) -> object | None:
    seen: set[object] = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return None


def _edge_set(graph: nx.Graph) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in graph.edges()}


def _local_tag(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return " ".join(text.split())
