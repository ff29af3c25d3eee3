"""Each benchmark runs in a quick mode here (small arguments), so none can rot: it must
finish and print its summary lines. The numbers are not judged (no timing assertions in
tests); the full runs print ratios measured side by side."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(("script", "args", "summary"), [
    ("startup.py", ["2"], [r"mcpauth --help\s+median", r"ratio\s+\d+\.\d\d"]),
    ("picker.py", ["12", "1"], [r"picker now:\s+\d+ calls", r"ratio previous / now"]),
    ("doctor.py", ["20", "1"], [r"concurrent\s+\d+\.\d\d s =\s+[\d.]+ delays", r"speed-up"]),
    ("fleet.py", ["4", "10", "1000", "4"], [r"fleet,\s+4 at once\s+\d+\.\d\d s .* 0 not diagnosed",
                                          r"speed-up\s+\d+\.\dx"]),
])
def test_benchmark_runs_in_quick_mode(script: str, args: list[str], summary: list[str]) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True,
                          text=True, timeout=300, cwd=BENCHMARKS.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    for pattern in summary:
        assert re.search(pattern, done.stdout), (pattern, done.stdout)
