"""Experiments on the model: runs, results, comparisons, sweeps, stores, engines and the
process pool, sensitivity, calibration, validation, the evaluate function, and the
optional extras some of them need."""
