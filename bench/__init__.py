"""Benchmarks for DentalBridge: request cost and audit write overhead (see README.md)."""
