"""Benchmarks: scripts that drive the integration against the sandbox over real HTTP and print
figures (`make bench`, `python -m benchmarks [sync] [export] --scale small|large`).

Nothing here asserts on timings: the figures are read by people (DEVELOPERS.md, "Performance is
measured, not assumed").
"""
