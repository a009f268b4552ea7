"""Branch coverage of the Python reference: which of its decisions were taken, how often.

Each reference module declares the branches of its decisions (``BRANCHES``) and counts
each one as it is taken. The equivalence test runs scenarios chosen to take them all
and fails on any branch never taken: a comparison between the kernels and the
reference says nothing about a branch neither of them ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


class Branches:
    """Counts of the declared branches taken.

    Args:
        declared: Every branch name that may be counted (each once).

    Raises:
        ValueError: If a name is declared twice.
    """

    def __init__(self, declared: Iterable[str]):
        self.declared = tuple(declared)
        duplicates = sorted({name for name in self.declared if self.declared.count(name) > 1})
        if duplicates:
            raise ValueError(f"branches declared twice: {', '.join(duplicates)}; rename one")
        self._known = frozenset(self.declared)
        self.counts: Counter[str] = Counter()

    def hit(self, name: str) -> None:
        """Count one pass through branch ``name``.

        Raises:
            KeyError: If ``name`` was not declared (a typo would otherwise count a
                branch that no coverage check asks for).
        """
        if name not in self._known:
            raise KeyError(f"undeclared branch '{name}'; add it to its module's BRANCHES")
        self.counts[name] += 1

    def missed(self, counts: Counter[str] | None = None) -> list[str]:
        """Declared branches never taken, in declaration order.

        Args:
            counts: Counts to check (e.g. summed over several runs); this counter's own
                if None.
        """
        counts = self.counts if counts is None else counts
        return [name for name in self.declared if counts[name] == 0]
