"""The benchmark suite (``make bench`` = ``python -m tests.bench.run``); see README.md."""
