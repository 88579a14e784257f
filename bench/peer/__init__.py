"""The peer product of the benchmarks, installed at bench time into var/ (never committed)."""
