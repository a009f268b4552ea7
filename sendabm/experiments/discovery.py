"""Scenario discovery: which assumptions decide whether a policy improves an outcome.

Given the design points of an appraisal (:mod:`sendabm.experiments.appraise`) and, at each,
whether the policy improved the outcome, a shallow classification tree
(``sklearn.tree.DecisionTreeClassifier``, depth 2, leaves of at least a tenth of the
points) finds the inputs whose values separate the points where it does from those where
it does not. The tree is the scenario-discovery method of robust decision making (Lempert
et al. 2006; Bryant and Lempert 2010 use PRIM, which finds one box; a depth-2 tree finds the
same first split and reports every input's share of the separation).

A tree always finds some split, so the finding reports how much it explains: its accuracy
on the points against the accuracy of always guessing the commoner answer. Where the two
are close, no input decides the sign beyond what the runs' own chance events do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sendabm.experiments.extras import require

MAX_DEPTH = 2
"""Depth of the tree: a first split and one split on each side, readable as a rule."""
MIN_LEAF_SHARE = 0.1
"""Least share of the points in a leaf, so that a split is not drawn around one point."""


@dataclass(frozen=True)
class Finding:
    """What decides the sign of a policy's effect on one outcome.

    Attributes:
        n: Design points used.
        improves: Points where the policy improved the outcome.
        importance: Input name -> share of the tree's separation (sums to 1 when the
            tree splits at all; every input 0 when the sign never changes).
        rule: The first split as text, e.g. ``"appeal_base_logit <= -3.2: 18 of 20
            improve; above: 4 of 28"``, or why there is none.
        accuracy: Share of points the tree classifies right (NaN without a tree).
        baseline_accuracy: Share of points in the commoner class.
    """

    n: int
    improves: int
    importance: dict[str, float]
    rule: str
    accuracy: float
    baseline_accuracy: float

    @property
    def deciding(self) -> str:
        """The most important input, or '' when no split was found."""
        if not self.importance or max(self.importance.values()) <= 0.0:
            return ""
        return max(self.importance, key=self.importance.get)

    @property
    def lift(self) -> float:
        """Accuracy gained over always guessing the commoner answer (0-1)."""
        return self.accuracy - self.baseline_accuracy


def discover(inputs: np.ndarray, names: Sequence[str], improves: np.ndarray,
             labels: Sequence[Sequence[str] | None] | None = None) -> Finding:
    """Fit the tree and describe its first split.

    Args:
        inputs: Points x inputs, numeric (a categorical input as its choice index).
        names: The inputs' names, in column order.
        improves: Boolean per point: whether the policy improved the outcome there.
        labels: Per input, the choices' names for a categorical input (None if numeric),
            used to write its split as the choices on each side.

    Returns:
        The :class:`Finding`.
    """
    improves = np.asarray(improves, dtype=bool)
    n, k = int(improves.size), int(improves.sum())
    majority = max(k, n - k) / n if n else math.nan
    zero = {name: 0.0 for name in names}
    if n == 0 or k in (0, n) or not len(names):
        same = "no point" if n == 0 else ("every point improves" if k == n
                                          else "no point improves")
        return Finding(n, k, zero, f"none: {same}", math.nan, majority)
    require("appraise", "scenario discovery (sendabm appraise)")
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=MAX_DEPTH,
                                  min_samples_leaf=max(2, math.ceil(MIN_LEAF_SHARE * n)),
                                  random_state=0)
    x = np.asarray(inputs, dtype=np.float64)
    tree.fit(x, improves)
    importance = {name: float(v) for name, v in zip(names, tree.feature_importances_,
                                                   strict=True)}
    accuracy = float(np.mean(tree.predict(x) == improves))
    structure = tree.tree_
    if structure.node_count < 2:
        return Finding(n, k, zero, "none: no split separates the points", accuracy,
                       majority)
    column = int(structure.feature[0])
    cut = float(structure.threshold[0])
    below = x[:, column] <= cut
    choices = labels[column] if labels is not None else None
    rule = _rule(names[column], cut, below, improves, choices)
    return Finding(n, k, importance, rule, accuracy, majority)


def _rule(name: str, cut: float, below: np.ndarray, improves: np.ndarray,
          choices: Sequence[str] | None) -> str:
    """The first split and the points improving on each side, as text."""
    def side(mask: np.ndarray) -> str:
        return f"{int(improves[mask].sum())} of {int(mask.sum())} improve"

    if choices is not None:
        low = [c for i, c in enumerate(choices) if i <= cut]
        high = [c for i, c in enumerate(choices) if i > cut]
        return (f"{name} in {{{', '.join(map(str, low))}}}: {side(below)}; "
                f"{{{', '.join(map(str, high))}}}: {side(~below)}")
    return f"{name} <= {cut:.4g}: {side(below)}; above: {side(~below)}"
