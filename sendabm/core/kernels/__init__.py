"""Numba kernels: the fused row loops that run the actors' monthly rules over every
busy family and open case. Their readable twin is the plain-Python reference
(:mod:`sendabm.core.reference`, with :meth:`sendabm.core.actors.family.Family.month`),
which must give the same results bit for bit (``tests/test_kernel_equivalence.py``)."""
