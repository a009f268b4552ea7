"""A map of the local areas: the neighbour network drawn with matplotlib, coloured by a measure.

Each LA is a dot at its approximate centroid (the hand-entered ``lat``/``lon`` of
``sendabm/data/areas_england.csv``, see docs/areas.md), sized by its pupils, joined
to its neighbours in the model's network and coloured by one per-LA measure. London's
33 areas overlap at national scale, so they are drawn again, enlarged, in an inset.
Areas without coordinates (a user's own areas file) are placed by a spring layout
of the network with a fixed seed: a *network layout*, not geography, and the figure
says so.

Measures are made comparable between LAs of very different size: counts per 1,000
or 10,000 pupils, money per pupil, means and indices as they are
(:data:`MAP_MEASURES`). A map can ring and label one LA and its neighbours
(:class:`Highlight`).
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sendabm.core.areas import Areas
from sendabm.core.measures import GBP, LAST, MEASURES
from sendabm.presentation.style import INK, MUTED, STYLE, ThousandsFormatter

INSET_REGION = "London"
COLOURMAP = "cividis"
"""Sequential colour map that colour-blind readers see as readers with full colour vision do."""
MISSING_COLOUR = "#d9d9d9"
LAYOUT_SEED = 7
MONTHS = 12


@dataclass(frozen=True)
class MapMeasure:
    """How one panel measure is reduced to a number per LA.

    Attributes:
        label: Colour-bar label with its unit.
        how: ``sum`` over the last 12 months (flows), ``last`` month (stocks) or
            ``mean`` of the last 12 months (means, shares, indices).
        per_pupils: Divide by the LA's pupils and multiply by this (e.g. 1,000), or
            None to show the value as it is.
        title: The measure and its unit without the period, for a map's title (e.g.
            "Appeals registered per 10,000 pupils").
    """

    label: str
    how: str
    per_pupils: float | None
    title: str = ""


def _map_measure(name: str, per_pupils: float | None) -> MapMeasure:
    """A panel measure reduced as its kind says (the registry's reducer), per pupils."""
    m = MEASURES[name]
    if m.unit == GBP:
        label = f"{m.label}, £ per pupil"
    elif per_pupils is not None:
        label = f"{m.label} per {per_pupils:,} pupils"
    else:
        label = m.label
    title = label
    if m.reducer != LAST:
        label += f", last {MONTHS} months"
    return MapMeasure(label, m.reducer, per_pupils, title)


MAP_MEASURES: dict[str, MapMeasure] = {
    name: _map_measure(name, per_pupils) for name, per_pupils in (
        ("appeals_registered", 10_000), ("ehc_plans", 1_000), ("assessments_refused", 10_000),
        ("hearings_won_by_family", 10_000), ("placements_independent", 1_000),
        ("high_needs_spend_gbp", 1), ("cumulative_deficit_gbp", 1), ("adversarial_index", None),
        ("mean_unmet_need", None), ("mean_trust_in_la", None))}
"""The measures a map can show, by panel measure name: counts per 1,000 or 10,000 pupils,
money per pupil, means and indices as they are."""

DEFAULT_MEASURE = "appeals_registered"


def la_values(panel: Mapping[str, object], measure: str) -> np.ndarray:
    """One value per LA for ``measure``, reduced as :data:`MAP_MEASURES` says.

    Args:
        panel: Measure -> array-like (T, n_la, 6) of per-LA values (quintile 0 = all
            families), e.g. ``RunOutput.panel`` or ``SendModel.panel``.
        measure: A key of :data:`MAP_MEASURES`.

    Returns:
        float64 array (n_la,), NaN where undefined.

    Raises:
        KeyError: ``measure`` is not a map measure or not in ``panel``.
    """
    spec = MAP_MEASURES[measure]
    series = np.asarray(panel[measure], dtype=np.float64)[:, :, 0]
    tail = series[-MONTHS:]
    with np.errstate(invalid="ignore", divide="ignore"):
        if spec.how == "sum":
            values = np.where(np.isfinite(tail).any(axis=0), np.nansum(tail, axis=0), np.nan)
        elif spec.how == "last":
            values = series[-1]
        else:
            values = _nanmean(tail)
        if spec.per_pupils is not None:
            pupils = np.asarray(panel["pupils"], dtype=np.float64)[-1, :, 0]
            values = np.where(pupils > 0, values / pupils * spec.per_pupils, np.nan)
    return values


def _nanmean(values: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


# --------------------------------------------------------------------------- layout


@functools.cache
def _centroids() -> dict[str, tuple[float, float]]:
    """Code -> (lat, lon) of the packaged LAs."""
    ref = resources.files("sendabm") / "data" / "areas_england.csv"
    with ref.open(encoding="utf-8") as handle:
        return {row["code"]: (float(row["lat"]), float(row["lon"]))
                for row in csv.DictReader(handle)}


def layout(areas: Areas) -> tuple[np.ndarray, bool]:
    """Positions (n, 2) of the areas, and whether they are geographic.

    Geographic when every code has a packaged centroid: x is longitude scaled by
    cos(latitude) so distances look right, y is latitude. Otherwise a spring layout
    of the network with a fixed seed (the same picture on every call).
    """
    centroids = _centroids()
    if all(code in centroids for code in areas.codes):
        lat_lon = np.array([centroids[c] for c in areas.codes])
        shrink = math.cos(math.radians(float(lat_lon[:, 0].mean())))
        return np.column_stack([lat_lon[:, 1] * shrink, lat_lon[:, 0]]), True
    edges = tuple(sorted(tuple(sorted(e)) for e in areas.graph.edges))
    return _spring(areas.n, edges).copy(), False


@functools.lru_cache(maxsize=8)
def _spring(n: int, edges: tuple[tuple[int, int], ...]) -> np.ndarray:
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    pos = nx.spring_layout(graph, seed=LAYOUT_SEED)
    return np.array([pos[i] for i in range(n)])


# --------------------------------------------------------------------------- drawing


def draw_area_map(ax: Axes, areas: Areas, values: np.ndarray, label: str,
                  inset: bool = True, highlight: Highlight | None = None) -> None:
    """Draw the network of ``areas`` on ``ax``, each dot coloured by ``values``.

    Args:
        ax: Axes to draw on (its figure gets a colour bar).
        areas: The local areas (positions from :func:`layout`).
        values: One value per area, NaN drawn grey.
        label: Colour-bar label, with the unit.
        inset: Also draw the London areas enlarged in an inset (geographic layouts
            with London areas only).
        highlight: Areas to ring and label (one LA, and its neighbours), or None.
    """
    pos, geographic = layout(areas)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    norm = mpl.colors.Normalize(low, high if high > low else low + 1.0)
    cmap = mpl.colormaps[COLOURMAP]
    sizes = 8.0 + 90.0 * np.sqrt(areas.pupils / areas.pupils.max())
    _draw_network(ax, areas, pos, values, norm, cmap, sizes)
    if highlight is not None:
        _draw_highlight(ax, pos, sizes, highlight)
    ax.set_aspect("equal")
    ax.set_axis_off()
    note = ("Dots: approximate LA centroids, sized by pupils; lines: the model's neighbour "
            "links" if geographic else
            "Network layout (not geography): lines are the model's neighbour links")
    ax.text(0.0, -0.02, note, transform=ax.transAxes, fontsize=7.5, color=MUTED, va="top")
    london = np.flatnonzero(areas.regions == _region_index(areas, INSET_REGION))
    if inset and geographic and london.size:
        _draw_inset(ax, areas, pos, values, norm, cmap, sizes, london, highlight)
    bar = ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                             shrink=0.6, pad=0.02, format=ThousandsFormatter())
    bar.set_label(label)
    bar.outline.set_visible(False)


@dataclass(frozen=True)
class Highlight:
    """Areas a map rings and labels.

    Attributes:
        areas: Positions of the areas of interest (one LA, or the members of a merged
            unit): ringed thick and labelled.
        label: The text beside them, e.g. the LA's name.
        neighbours: Positions of their neighbours: ringed thin.
    """

    areas: tuple[int, ...]
    label: str
    neighbours: tuple[int, ...] = ()

    def within(self, nodes: set[int]) -> Highlight:
        """Only the areas among ``nodes`` (for the London inset)."""
        return Highlight(tuple(i for i in self.areas if i in nodes), self.label,
                         tuple(i for i in self.neighbours if i in nodes))


HIGHLIGHT = "#D55E00"
"""Ring colour of the highlighted LA (Okabe–Ito vermillion)."""


def _draw_highlight(ax: Axes, pos: np.ndarray, sizes: np.ndarray, highlight: Highlight) -> None:
    near = list(highlight.neighbours)
    ax.scatter(pos[near, 0], pos[near, 1], s=sizes[near] * 2.2, facecolors="none",
               edgecolors=INK, linewidths=0.9, zorder=3)
    own = list(highlight.areas)
    if not own:
        return
    ax.scatter(pos[own, 0], pos[own, 1], s=sizes[own] * 3.0, facecolors="none",
               edgecolors=HIGHLIGHT, linewidths=2.2, zorder=4)
    x, y = pos[own].mean(axis=0)
    ax.annotate(highlight.label, (x, y), xytext=(12, 10), textcoords="offset points",
                fontsize=9, fontweight="bold", color=INK, zorder=5,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                      "edgecolor": HIGHLIGHT, "linewidth": 1.0},
                arrowprops={"arrowstyle": "-", "color": HIGHLIGHT, "linewidth": 1.0})


def _region_index(areas: Areas, name: str) -> int:
    return areas.region_names.index(name) if name in areas.region_names else -1


def _draw_network(ax: Axes, areas: Areas, pos: np.ndarray, values: np.ndarray,
                  norm: mpl.colors.Normalize, cmap: mpl.colors.Colormap, sizes: np.ndarray,
                  nodes: np.ndarray | None = None) -> None:
    nodes = np.arange(areas.n) if nodes is None else nodes
    keep = set(nodes.tolist())
    segments = [(pos[a], pos[b]) for a, b in areas.graph.edges if a in keep and b in keep]
    ax.add_collection(mpl.collections.LineCollection(segments, colors="#b8b8b8",
                                                     linewidths=0.5, zorder=1))
    colours = [cmap(norm(v)) if np.isfinite(v) else MISSING_COLOUR for v in values[nodes]]
    ax.scatter(pos[nodes, 0], pos[nodes, 1], s=sizes[nodes], c=colours, edgecolors=INK,
               linewidths=0.3, zorder=2)
    ax.autoscale_view()


def _draw_inset(ax: Axes, areas: Areas, pos: np.ndarray, values: np.ndarray,
                norm: mpl.colors.Normalize, cmap: mpl.colors.Colormap, sizes: np.ndarray,
                london: np.ndarray, highlight: Highlight | None = None) -> None:
    """London enlarged in the top-left corner (the Irish Sea), where there is no land."""
    inset = ax.inset_axes((0.0, 0.60, 0.38, 0.38))
    _draw_network(inset, areas, pos, values, norm, cmap, sizes * 1.6, nodes=london)
    inside = set(london.tolist())
    if highlight is not None and inside & {*highlight.areas, *highlight.neighbours}:
        _draw_highlight(inset, pos, sizes * 1.6, highlight.within(inside))
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_color(MUTED)
    inset.set_title("London", fontsize=8.5, loc="left", pad=3)
    inset.grid(False)


def area_map_figure(areas: Areas, values: np.ndarray, label: str, title: str,
                    size: tuple[float, float] = (7.5, 8.0),
                    highlight: Highlight | None = None) -> Figure:
    """A figure with one map (see :func:`draw_area_map`) and a title."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.subplots()
        draw_area_map(ax, areas, values, label, highlight=highlight)
        fig.suptitle(title, x=0.02, ha="left", fontsize=12, fontweight="bold")
    return fig


def areas_for(la_names: list[str]) -> Areas | None:
    """The built-in areas if ``la_names`` are theirs, in order; else None."""
    from sendabm.core.areas import synthetic_england

    england = synthetic_england()
    return england if list(england.names) == list(la_names) else None
