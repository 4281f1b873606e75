"""Reproducible speed and memory measurements, with their baselines (not run by tests)."""
