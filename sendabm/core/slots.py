"""Counting slots as integers: ``slots.EHC_PLANS`` is the row of ``ehc_plans`` in the totals.

Generated at import from the measure registry (:data:`sendabm.core.measures.SLOTS`), one
module-level int per counted measure, named by the measure in capitals. Numba freezes
module attributes read inside compiled code (as it does :mod:`sendabm.core.states`), so
the kernels index the totals with constants, not a dictionary look-up.
"""

import hashlib

from sendabm.core.measures import SLOTS

globals().update({name.upper(): k for k, name in enumerate(SLOTS)})

N_SLOTS = len(SLOTS)
"""Rows of the per-LA totals."""

LAYOUT = hashlib.sha256("\n".join(SLOTS).encode()).hexdigest()[:12]
"""Digest of the slot order; :mod:`sendabm.core.kernels.aggregate` checks it at import,
because numba's cache keeps the slot numbers compiled into its kernels."""
