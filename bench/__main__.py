"""`python -m bench all --size tiny`: every workload in turn, each in its own process.

Separate processes keep each workload's peak RSS its own. Scaling compares the named size with the
one below it (tiny with itself: a smoke run of the code path).
"""

import argparse
import subprocess
import sys
from typing import Final

from bench._common import SIZE_NAMES, seed_default

WORKLOADS: Final = ("ingest", "rate", "billrun", "scaling", "reconcile")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=("all", *WORKLOADS))
    parser.add_argument("--size", choices=SIZE_NAMES, default="tiny")
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    chosen = WORKLOADS if options.workload == "all" else (options.workload,)
    for workload in chosen:
        command = [
            sys.executable, "-m", f"bench.{workload}", "--size", options.size,
            "--seed", str(options.seed), "--repeat", str(options.repeat),
        ]  # fmt: skip
        print(f"== {' '.join(command[1:])}", flush=True)
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            return completed.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
