"""XieTong's benchmarks: ratios against the physical limit, run with ``python -m bench``."""
