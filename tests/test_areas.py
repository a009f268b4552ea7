"""Tests for sendabm.core.areas: the default England areas, file loading and validation."""

from __future__ import annotations

import csv
import dataclasses
import string
import tempfile
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendabm.core.areas import (
    MAX_PUPILS_PER_AREA,
    REGIONS,
    REQUIRED_COLUMNS,
    Areas,
    AreasError,
    load_areas,
    synthetic_england,
    write_areas_csv,
)

HEADER = ",".join(REQUIRED_COLUMNS)


def _write(directory: Path, filename: str, text: str) -> Path:
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def _raises(path: Path | str, *fragments: str) -> str:
    """Load ``path``, expect a one-line AreasError containing every fragment."""
    with pytest.raises(AreasError) as info:
        load_areas(path)
    msg = str(info.value)
    assert "\n" not in msg and "\r" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    return msg


def _graphml(directory: Path, graph: nx.Graph, filename: str = "areas.graphml") -> Path:
    path = directory / filename
    nx.write_graphml(graph, path)
    return path


def _small_graph() -> nx.Graph:
    g = nx.Graph()
    g.add_node("A", name="Alpha", region="North", pupils=1200)
    g.add_node("B", name="Beta", region="South", pupils=3400)
    g.add_node("C", name="Gamma", region="North", pupils=560)
    g.add_edge("A", "B")
    g.add_edge("B", "C")
    return g


# --- the default ---------------------------------------------------------------------


def test_default_size_regions_and_total() -> None:
    a = synthetic_england()
    assert a.n == 152
    assert len(set(a.codes)) == 152
    assert len(set(a.names)) == 152
    assert a.region_names == REGIONS
    assert len(REGIONS) == 9
    counts = np.bincount(a.regions, minlength=9).tolist()
    assert counts == [12, 23, 15, 9, 14, 11, 33, 19, 16]
    assert a.regions.dtype == np.int8
    assert a.pupils.dtype == np.int64
    assert int(a.pupils.sum()) == 9_092_073
    assert a.pupils.min() < 10_000
    assert a.pupils.max() > 200_000


def test_default_size_ordering_is_plausible() -> None:
    a = synthetic_england()
    by_size = [a.names[i] for i in np.argsort(a.pupils)]
    assert set(by_size[:2]) == {"Isles of Scilly", "City of London"}
    assert by_size[-1] == "Kent"
    big = {a.names[i] for i in np.flatnonzero(a.pupils > 190_000)}
    assert {"Kent", "Essex", "Hampshire", "Hertfordshire", "Lancashire", "Surrey"} <= big
    assert int(a.pupils[a.codes.index("E09000001")]) < 2_000


def test_default_graph_connected_with_mostly_regional_edges() -> None:
    a = synthetic_england()
    g = a.graph
    assert sorted(g.nodes) == list(range(152))
    assert nx.is_connected(g)
    assert min(d for _, d in g.degree()) >= 1
    assert nx.number_of_selfloops(g) == 0
    cross = sum(a.regions[u] != a.regions[v] for u, v in g.edges())
    assert cross < 0.5 * g.number_of_edges()
    scilly = a.names.index("Isles of Scilly")
    assert [a.names[j] for j in g[scilly]] == ["Cornwall"]
    kent = a.names.index("Kent")
    assert {"Medway", "East Sussex", "Surrey", "Bexley", "Bromley"} <= {a.names[j] for j in g[kent]}


def test_default_node_attributes() -> None:
    a = synthetic_england()
    for i in range(a.n):
        attrs = a.graph.nodes[i]
        assert attrs["code"] == a.codes[i]
        assert attrs["name"] == a.names[i]
        assert attrs["region"] == a.region_names[a.regions[i]]
        assert attrs["pupils"] == int(a.pupils[i])
        assert type(attrs["pupils"]) is int


def test_csr_matches_graph() -> None:
    a = synthetic_england()
    indptr, indices = a.neighbours_csr()
    assert indptr.dtype == np.int64 and indices.dtype == np.int32
    assert indptr.shape == (a.n + 1,)
    assert indptr[0] == 0 and indptr[-1] == indices.size == 2 * a.graph.number_of_edges()
    for i in range(a.n):
        row = indices[indptr[i] : indptr[i + 1]].tolist()
        assert row == sorted(a.graph[i])
        for j in row:
            assert i in indices[indptr[j] : indptr[j + 1]]


def test_share() -> None:
    a = synthetic_england()
    s = a.share()
    assert s.dtype == np.float64
    assert s.shape == (a.n,)
    assert s.sum() == pytest.approx(1.0)
    assert np.all(s > 0)
    assert int(np.argmax(s)) == int(np.argmax(a.pupils))


def test_default_is_immutable_and_deterministic() -> None:
    a = synthetic_england()
    with pytest.raises(ValueError):
        a.pupils[0] = 1
    with pytest.raises(ValueError):
        a.regions[0] = 1
    with pytest.raises(nx.NetworkXError):
        a.graph.add_edge(0, 151)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.codes = ()  # type: ignore[misc]
    ref = resources.files("sendabm") / "data" / "areas_england.csv"
    with resources.as_file(ref) as path:
        assert load_areas(path) == a
    assert "n=152" in repr(a)


def test_packaged_csv_header() -> None:
    ref = resources.files("sendabm") / "data" / "areas_england.csv"
    with resources.as_file(ref) as path, open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert tuple(header[:5]) == REQUIRED_COLUMNS


# --- round trips and formats ---------------------------------------------------------


def test_csv_round_trip_default(tmp_path: Path) -> None:
    a = synthetic_england()
    path = tmp_path / "england.csv"
    write_areas_csv(a, path)
    with open(path, newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == list(REQUIRED_COLUMNS)
    b = load_areas(path)
    assert b == a
    assert b.region_names == REGIONS


def test_graphml_load(tmp_path: Path) -> None:
    a = load_areas(_graphml(tmp_path, _small_graph()))
    assert a.codes == ("A", "B", "C")
    assert a.names == ("Alpha", "Beta", "Gamma")
    assert a.region_names == ("North", "South")
    assert a.regions.tolist() == [0, 1, 0]
    assert a.pupils.tolist() == [1200, 3400, 560]
    assert sorted(a.graph.edges()) == [(0, 1), (1, 2)]


def test_graphml_round_trip_default(tmp_path: Path) -> None:
    a = synthetic_england()
    g = nx.Graph()
    for i in range(a.n):
        g.add_node(
            a.codes[i],
            name=a.names[i],
            region=a.region_names[a.regions[i]],
            pupils=int(a.pupils[i]),
        )
    g.add_edges_from((a.codes[u], a.codes[v]) for u, v in a.graph.edges())
    assert load_areas(_graphml(tmp_path, g)) == a


def test_graphml_directed_string_pupils_and_self_loops(tmp_path: Path) -> None:
    g = nx.DiGraph()
    g.add_node("x", name="X", region="R", pupils="15000")
    g.add_node("y", name="Y", region="R", pupils=20000.0)
    g.add_edge("y", "x")
    g.add_edge("x", "x")
    a = load_areas(_graphml(tmp_path, g))
    assert a.pupils.tolist() == [15000, 20000]
    assert sorted(a.graph.edges()) == [(0, 1)]


def test_csv_symmetrises_ignores_self_loops_and_extra_columns(tmp_path: Path) -> None:
    text = (
        "\ufeffnotes, Pupils ,code,name,region,neighbours\n"
        "x,100,A,Alpha,R1,A;B;\n"
        "y,200,B,Beta,R2,\n"
        "\n"
        'z,300,C,"Gamma, the third",R1, B ; \n'
    )
    a = load_areas(_write(tmp_path, "a.CSV", text))
    assert a.codes == ("A", "B", "C")
    assert a.names[2] == "Gamma, the third"
    assert a.region_names == ("R1", "R2")
    assert a.pupils.tolist() == [100, 200, 300]
    assert sorted(a.graph.edges()) == [(0, 1), (1, 2)]


_CODE = st.text(alphabet=string.ascii_uppercase + string.digits + "-_", min_size=1, max_size=6)
_TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp")),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def _random_areas(draw: st.DrawFn) -> Areas:
    codes = draw(st.lists(_CODE, min_size=2, max_size=9, unique=True))
    n = len(codes)
    names = draw(st.lists(_TEXT, min_size=n, max_size=n))
    regions = draw(st.lists(_TEXT, min_size=n, max_size=n))
    pupils = draw(st.lists(st.integers(1, MAX_PUPILS_PER_AREA), min_size=n, max_size=n))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(1, n):  # a random spanning tree keeps it connected
        g.add_edge(i, draw(st.integers(0, i - 1)))
    g.add_edges_from(
        draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    )
    region_names = tuple(dict.fromkeys(regions))
    return Areas(
        codes=tuple(codes),
        names=tuple(names),
        regions=np.array([region_names.index(r) for r in regions], dtype=np.int8),
        region_names=region_names,
        pupils=np.array(pupils, dtype=np.int64),
        graph=g,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_random_areas())
def test_round_trips_random(a: Areas) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "a.csv"
        write_areas_csv(a, path)
        assert load_areas(path) == a
        g = nx.Graph()
        for i in range(a.n):
            g.add_node(
                a.codes[i],
                name=a.names[i],
                region=a.region_names[a.regions[i]],
                pupils=int(a.pupils[i]),
            )
        g.add_edges_from((a.codes[u], a.codes[v]) for u, v in a.graph.edges())
        assert load_areas(_graphml(Path(d), g)) == a
    indptr, indices = a.neighbours_csr()
    assert indices.size == 2 * a.graph.number_of_edges() == indptr[-1]


# --- validation ----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    _raises(missing, f"areas file {str(missing)!r} not found", "docs/areas.md")


def test_directory(tmp_path: Path) -> None:
    _raises(tmp_path, "is a directory")


def test_unknown_extension(tmp_path: Path) -> None:
    _raises(_write(tmp_path, "a.txt", HEADER + "\n"), "unknown extension '.txt'", ".csv")
    _raises(_write(tmp_path, "noext", HEADER + "\n"), "unknown extension", ".graphml")


_OK_ROWS = "A,Alpha,R,100,B\nB,Beta,R,200,A\n"

_CSV_CASES = {
    "empty file": ("", ["is empty", HEADER]),
    "blank lines only": ("\n \n", ["is empty"]),
    "missing column": (
        "code,name,region,neighbours\nA,Alpha,R,B\n",
        ["missing column 'pupils';", "required columns are " + HEADER],
    ),
    "two missing columns": ("code,name,neighbours\n", ["missing columns 'region', 'pupils'"]),
    "duplicate column": (HEADER + ",name\n", ["column 'name' twice"]),
    "non-integer pupils": (
        HEADER + "\n" + "A,Alpha,R,100,B\nB,Beta,R,abc,A\n",
        ["line 3", "'B'", "'Beta'", "pupils 'abc'", "positive whole number"],
    ),
    "fractional pupils": (HEADER + "\nA,Alpha,R,1.5,B\nB,Beta,R,2,A\n", ["line 2", "'1.5'"]),
    "zero pupils": (HEADER + "\nA,Alpha,R,0,B\nB,Beta,R,2,A\n", ["'Alpha'", "pupils '0'"]),
    "negative pupils": (HEADER + "\nA,Alpha,R,-5,B\nB,Beta,R,2,A\n", ["pupils '-5'"]),
    "blank pupils": (HEADER + "\nA,Alpha,R,,B\nB,Beta,R,2,A\n", ["pupils ''"]),
    "huge pupils": (
        HEADER + f"\nA,Alpha,R,{MAX_PUPILS_PER_AREA + 1},B\nB,Beta,R,2,A\n",
        ["implausibly large"],
    ),
    "duplicate code": (
        HEADER + "\n" + _OK_ROWS + "A,Again,R,5,B\n",
        ["line 4", "duplicate code 'A'", "first on line 2", "unique"],
    ),
    "unknown neighbour": (
        HEADER + "\nA,Alpha,R,100,B;Z\nB,Beta,R,200,A\n",
        ["line 2", "neighbour 'Z'", "not a code"],
    ),
    "one area": (HEADER + "\nA,Alpha,R,100,\n", ["has 1 area;", "at least 2"]),
    "header only": (HEADER + "\n", ["has 0 areas", "at least 2"]),
    "disconnected": (
        HEADER + "\nA,Alpha,R,1,B\nB,Beta,R,1,\nC,Gamma,R,1,\nD,Delta,R,1,C\nE,Eps,R,1,A\n",
        ["not connected (2 components)", "'Gamma' (C)", "add a neighbour"],
    ),
    "isolated area": (
        HEADER + "\n" + _OK_ROWS + "C,Gamma,R,1,C\n",
        ["not connected (2 components)", "'Gamma' (C)", "component of 1 area(s)"],
    ),
    "wrong field count": (
        HEADER + "\nA,Alpha, the first,R,1,B\nB,Beta,R,1,A\n",
        ["line 2 has 6 fields but the header has 5", "quote"],
    ),
    "empty code": (HEADER + "\n,Alpha,R,1,B\nB,Beta,R,1,A\n", ["line 2", "empty code"]),
    "empty name": (HEADER + "\nA,,R,1,B\nB,Beta,R,1,A\n", ["'A'", "empty name"]),
    "empty region": (HEADER + "\nA,Alpha, ,1,B\nB,Beta,R,1,A\n", ["empty region"]),
    "line break in name": (
        HEADER + '\nA,"Al\npha",R,1,B\nB,Beta,R,1,A\n',
        ["line 2 ('A')", "name 'Al\\npha'", "line break"],
    ),
    "bad quoting": (HEADER + '\nA,"Alpha,R,1,B\n', ["line 2", "close every opening quote"]),
    "multi-line row then error": (
        HEADER + '\nA,"Al, pha",R,1,B\n\nB,Beta,R,x,A\n',
        ["line 4 ('B', 'Beta')", "pupils 'x'"],
    ),
}


@pytest.mark.parametrize("case", sorted(_CSV_CASES))
def test_csv_validation(tmp_path: Path, case: str) -> None:
    text, fragments = _CSV_CASES[case]
    path = _write(tmp_path, "areas.csv", text)
    _raises(path, f"areas file {str(path)!r}", *fragments)


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nA,Caf\xe9,R,1,B\nB,Beta,R,1,A\n").encode("latin-1"))
    _raises(path, "not UTF-8")


def test_graphml_missing_attribute(tmp_path: Path) -> None:
    g = _small_graph()
    del g.nodes["B"]["pupils"]
    _raises(_graphml(tmp_path, g), "node 'B'", "missing attribute 'pupils'", "name, region, pupils")


def test_graphml_bad_pupils(tmp_path: Path) -> None:
    g = _small_graph()
    g.nodes["C"]["pupils"] = 2.5
    _raises(_graphml(tmp_path, g), "node 'C'", "'Gamma'", "pupils 2.5")
    g.nodes["C"]["pupils"] = -3
    _raises(_graphml(tmp_path, g), "pupils -3")
    g.nodes["C"]["pupils"] = True
    _raises(_graphml(tmp_path, g), "pupils True")


def test_graphml_disconnected(tmp_path: Path) -> None:
    g = _small_graph()
    g.add_node("D", name="Delta", region="South", pupils=10)
    _raises(_graphml(tmp_path, g), "not connected (2 components)", "'Delta' (D)")


def test_graphml_single_node(tmp_path: Path) -> None:
    g = nx.Graph()
    g.add_node("A", name="Alpha", region="R", pupils=5)
    _raises(_graphml(tmp_path, g), "has 1 area;", "at least 2")


def _graphml_text(nodes: str, edges: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="n" for="node" attr.name="name" attr.type="string"/>\n'
        '<key id="r" for="node" attr.name="region" attr.type="string"/>\n'
        '<key id="p" for="node" attr.name="pupils" attr.type="long"/>\n'
        f'<graph edgedefault="undirected">{nodes}{edges}</graph>\n'
        "</graphml>\n"
    )


def _node(code: str, name: str = "N", pupils: int = 5) -> str:
    return (
        f'<node id="{code}"><data key="n">{name}</data><data key="r">R</data>'
        f'<data key="p">{pupils}</data></node>'
    )


def test_graphml_text_ok(tmp_path: Path) -> None:
    text = _graphml_text(_node("A", "Alpha") + _node("B", "Beta"), '<edge source="A" target="B"/>')
    a = load_areas(_write(tmp_path, "a.graphml", text))
    assert a.names == ("Alpha", "Beta")


def test_graphml_duplicate_node(tmp_path: Path) -> None:
    text = _graphml_text(_node("A") + _node("B") + _node("A"), '<edge source="A" target="B"/>')
    _raises(_write(tmp_path, "a.graphml", text), "duplicate node id 'A'")


def test_graphml_undeclared_edge_end(tmp_path: Path) -> None:
    text = _graphml_text(
        _node("A") + _node("B"), '<edge source="A" target="B"/><edge source="B" target="Z"/>'
    )
    _raises(_write(tmp_path, "a.graphml", text), "node 'Z'", "not declared")


def test_graphml_invalid_xml(tmp_path: Path) -> None:
    _raises(_write(tmp_path, "a.graphml", "<graphml><graph>"), "not valid XML")


def test_graphml_bad_typed_value(tmp_path: Path) -> None:
    text = _graphml_text(_node("A") + _node("B").replace(">5<", ">many<"), "")
    _raises(_write(tmp_path, "a.graphml", text), "not valid GraphML")


# --- direct construction and writing -------------------------------------------------


def _fields(**changes: object) -> dict[str, object]:
    g = nx.path_graph(3)
    fields: dict[str, object] = {
        "codes": ("A", "B", "C"),
        "names": ("Alpha", "Beta", "Gamma"),
        "regions": np.array([0, 0, 1]),
        "region_names": ("R", "S"),
        "pupils": np.array([1, 2, 3]),
        "graph": g,
    }
    fields.update(changes)
    return fields


def test_direct_construction_normalises() -> None:
    g = nx.path_graph(3)
    g.add_edge(1, 1)
    a = Areas(**_fields(graph=g))  # type: ignore[arg-type]
    assert a.regions.dtype == np.int8 and a.pupils.dtype == np.int64
    assert sorted(a.graph.edges()) == [(0, 1), (1, 2)]
    assert g.has_edge(1, 1)  # the caller's graph is not modified
    assert a.graph.nodes[2] == {"code": "C", "name": "Gamma", "region": "S", "pupils": 3}
    assert a == Areas(**_fields())  # type: ignore[arg-type]
    assert a != Areas(**_fields(pupils=np.array([1, 2, 4])))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"names": ("Alpha", "Beta")}, "3 codes but 2 names"),
        ({"codes": ("A", "B", "A")}, "duplicate code 'A'"),
        ({"regions": np.array([0, 0, 2])}, "index region_names"),
        ({"regions": np.array([0.0, 0.0, 1.0])}, "Areas.regions"),
        ({"pupils": np.array([1, 0, 3])}, "'Beta' (B) is 0"),
        ({"pupils": np.array([1.0, 2.0, 3.0])}, "Areas.pupils"),
        ({"graph": nx.path_graph(4)}, "nodes 0..2"),
        ({"graph": nx.empty_graph(3)}, "not connected (3 components)"),
        ({"region_names": ("R", "R")}, "duplicate region name"),
        ({"names": ("Alpha", "", "Gamma")}, "non-empty single-line"),
    ],
)
def test_direct_construction_errors(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(AreasError) as info:
        Areas(**_fields(**changes))  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_write_rejects_unwritable_code(tmp_path: Path) -> None:
    a = Areas(**_fields(codes=("A;1", "B", "C")))  # type: ignore[arg-type]
    with pytest.raises(AreasError, match="GraphML"):
        write_areas_csv(a, tmp_path / "x.csv")
