"""Benchmarks (``python -m bench``): throughput and memory, each beside a same-run baseline.

Not tests: nothing here asserts a time. Figures depend on the machine; ratios travel better.
"""
