"""The benchmark: the pipeline (Prefect flows, Great Expectations, the warehouse's loads) measured side by side
with a baseline (the plain pandas script an analyst would write) in the same run.

`python -m bench.run [--quick] [--only NAME]` runs the measurements (each in a fresh subprocess), checks both
sides produced the same observations and attainment, and writes `bench/results/<name>.json`;
`python -m bench.report` turns those files into the table of `bench/README.md`.
"""
