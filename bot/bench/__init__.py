"""Benchmarks: seeded synthetic data, local servers, figures as ratios to in-run baselines."""
