"""Benchmarks of the gateway against peer libraries and raw-lxml baselines.

Run ``python -m bench --help`` from the project root.  Generated inputs are
cached under ``bench/out/`` (git-ignored).
"""
