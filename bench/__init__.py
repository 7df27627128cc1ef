"""Benchmarks run by hand (`python -m bench.bench_train` from the repository root; bench/README.md lists
them), and what they share with the tests: the browser driver and the digit and room generators."""
