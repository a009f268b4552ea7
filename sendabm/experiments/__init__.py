"""Experiments on the model: runs, results, comparisons, sweeps, stores, engines,
sensitivity, calibration, validation and the evaluate function."""
