"""Start-up cost of `mcpauth --help` against `python -c "import boto3"`, side by side.

Run: python benchmarks/startup.py [rounds]. Prints the medians and their ratio; the goal
is a ratio below 0.5 (the CLI must not pay for boto3 before it needs it).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    help_cmd = [sys.executable, "-m", "mcpauth_wizard", "--help"]
    boto_cmd = [sys.executable, "-c", "import boto3"]
    timed(help_cmd), timed(boto_cmd)  # warm the file cache for both
    help_times, boto_times = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        help_times.append(timed(help_cmd))
        boto_times.append(timed(boto_cmd))
    h, b = statistics.median(help_times), statistics.median(boto_times)
    print(f"mcpauth --help   median {h * 1000:7.1f} ms over {rounds} rounds")
    print(f"import boto3     median {b * 1000:7.1f} ms over {rounds} rounds")
    print(f"ratio            {h / b:.2f}  (goal: < 0.5)")


if __name__ == "__main__":
    main()
