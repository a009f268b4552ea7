"""Numba kernels. Family kernels have a readable per-family twin in
:mod:`sendabm.core.actors.family` that must give the same results (the test oracle)."""
