"""Benchmark harness for ovn-provider: `python -m bench.run --help` (see bench/README.md)."""
