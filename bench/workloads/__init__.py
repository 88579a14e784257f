"""Benchmark workloads: each module exposes ``WORKLOAD`` (a ``bench.core.Workload``)."""
