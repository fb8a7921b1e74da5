"""tollway's benchmarks: one module per workload, each printing `FIGURE ...` lines.

    .venv/bin/python -m bench all --size tiny        # every workload
    .venv/bin/python -m bench.rate --size small      # one workload

Results are recorded in docs/benchmarks.md.
"""
