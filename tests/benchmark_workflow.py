"""Benchmark the seeds' cold rebuild and no-op rerun (run on demand, not by pytest).

    python tests/benchmark_workflow.py [--runs 3]

Each run works in a fresh copy of the workflow's inputs. Prints the median wall
time of each scenario and the largest peak memory of any job (from the
`benchmark:` files Snakemake writes), as a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ("Snakefile", "config", "workflow", "raw", "schemas")


def fresh_copy(root: Path) -> Path:
    for name in COPIED:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    return root


def snakemake(workdir: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["snakemake", "--cores", "4", "--quiet", "all"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def peak_job_memory_mb(workdir: Path) -> float:
    peaks = [0.0]
    for path in (workdir / "results" / "benchmarks").rglob("*.tsv"):
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("max_rss") not in (None, "", "-", "NA"):
                    peaks.append(float(row["max_rss"]))
    return max(peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, noop, memory = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            workdir = fresh_copy(Path(tmp))
            cold.append(snakemake(workdir))
            memory.append(peak_job_memory_mb(workdir))
            noop.append(snakemake(workdir))
    print("| run | median wall time | runs | peak job memory |")
    print("|---|---|---|---|")
    print(f"| cold full rebuild | {statistics.median(cold):.1f} s | "
          f"{', '.join(f'{t:.1f}' for t in cold)} | {max(memory):.0f} MB |")
    print(f"| no-op rerun | {statistics.median(noop):.1f} s | "
          f"{', '.join(f'{t:.1f}' for t in noop)} | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
