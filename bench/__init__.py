"""Benchmarks: `python -m bench.ingest` and friends (see docs/benchmarks.md)."""
