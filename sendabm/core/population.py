"""Families: one row per child in preallocated numpy columns.

Each row is a child and the parent(s) who advocate for them. Columns are declared
once in :data:`COLUMNS` with their dtype; the numba kernels receive them as a
:class:`Families` namedtuple of arrays, so ``fam.need[i]`` reads the same in a kernel
and in Python. Children who leave are flagged inactive and their rows are reused by
later intakes (LASER's discipline: preallocate, never delete). A child's identity for
random numbers is ``uid``, never the row, so reusing rows does not change anyone's
draws.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

COLUMNS: dict[str, type] = {
    "active": np.uint8,         # 1 if the row holds a child in the model
    "uid": np.int32,            # unique identity: the key of the child's random draws
    "la": np.int16,             # home local authority
    "school": np.int32,         # mainstream school attended or last attended (-1 none)
    "provider": np.int32,       # special school or independent provider (-1 none)
    "year": np.int8,            # year group: -2, -1 early years, 0 Reception .. 13, 14..20 post-19
    "need_type": np.int8,       # primary need area (states.NEED_*), -1 none
    "need": np.float32,         # severity, need units (£10,000/year of support), 0 = none
    "sen": np.int8,             # states.SEN_NONE / SEN_SUPPORT / EHCP
    "setting": np.int8,         # states.MAINSTREAM ... NOT_IN_EDUCATION
    "stage": np.int8,           # case stage (states.IDLE ...)
    "kind": np.int8,            # what the open case is about (states.KIND_*)
    "stage_tick": np.int16,     # tick the case entered its stage
    "request_tick": np.int16,   # tick the statutory 20-week clock started
    "last_request_tick": np.int16,  # tick of the last request (families wait before asking again)
    "place_wait": np.int8,      # states.PLACE_* while awaiting a place, else 0
    "resources": np.float32,    # capacity to navigate and appeal, uniform in [0, 1)
    "quintile": np.int8,        # family-resources quintile 1..5
    "trust_school": np.float32, # trust in the mainstream school, [0, 1]
    "trust_la": np.float32,     # trust in the local authority, [0, 1]
    "provision": np.float32,    # support received this month, need units
    "unmet": np.float32,        # need not met this month, need units
    "topup": np.float32,        # LA top-up named in the plan, need units
    "private": np.float32,      # support the family pays for privately, need units
    "progress": np.float32,     # cumulative progress relative to age-expected (SD units)
    "wellbeing": np.float32,    # wellbeing in [0, 1]
    "events": np.int64,         # states.EV_* bits: what happened this month
    "onset_tick": np.int16,     # month a need emerges for a child without one (NEVER: none)
}

Families = namedtuple("Families", list(COLUMNS))
"""The family columns as a namedtuple of equal-length numpy arrays."""

NEVER = -1000
"""Tick value meaning 'never happened' in tick columns."""

INIT_SLICE = 1_000_000
"""Rows set up at a time (bounds the set-up's temporary memory at full scale)."""


def allocate(n: int) -> Families:
    """Return ``n`` empty (inactive) rows."""
    cols = {name: np.zeros(n, dtype=dtype) for name, dtype in COLUMNS.items()}
    for name in ("school", "provider", "need_type"):
        cols[name][:] = -1
    for name in ("stage_tick", "request_tick", "last_request_tick", "onset_tick"):
        cols[name][:] = NEVER
    return Families(**cols)


def grow(fam: Families, n_new: int) -> Families:
    """Return a copy of ``fam`` with room for ``n_new`` more rows (inactive)."""
    extra = allocate(n_new)
    return Families(*(np.concatenate([a, b]) for a, b in zip(fam, extra, strict=True)))


def free_rows(fam: Families, n: int) -> tuple[Families, np.ndarray]:
    """Return (families, the first ``n`` inactive rows), growing the arrays if needed."""
    free = np.flatnonzero(fam.active == 0)
    if free.size < n:
        fam = grow(fam, max(n - free.size, fam.active.size // 4))
        free = np.flatnonzero(fam.active == 0)
    return fam, free[:n]


def nbytes(fam: Families) -> int:
    """Memory held by the family columns, bytes."""
    return sum(a.nbytes for a in fam)
