"""Counting slots as integers: ``slots.EHC_PLANS`` is the row of ``ehc_plans`` in the totals.

Generated at import from the measure registry (:data:`sendabm.core.measures.SLOTS`), one
module-level int per counted measure, named by the measure in capitals. Numba freezes
module attributes read inside compiled code (as it does :mod:`sendabm.core.states`), so
the kernels index the totals with constants, not a dictionary look-up. Because the
numbers are compiled into the kernels, this module and the registry are among the
sources that key the numba cache folder (``sendabm._KERNEL_SOURCES``): a change of the
counted measures recompiles the kernels instead of running stale slot numbers.
"""

from sendabm.core.measures import SLOTS

globals().update({name.upper(): k for k, name in enumerate(SLOTS)})

N_SLOTS = len(SLOTS)
"""Rows of the per-LA totals."""
