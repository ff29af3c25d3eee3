"""`mcpauth demo --proxy`: the whole story as a user runs it (a real process, the sandbox)."""

from __future__ import annotations

import re
from typing import Any


def test_demo_proxy_shows_lost_sign_ins_the_doctor_naming_them_and_the_fix(run_process: Any) -> None:
    result = run_process("demo", "--proxy")

    assert result.code == 0, result.out[-3000:] + result.err[-2000:]
    summary = re.search(r"Default storage: (\d+) of (\d+) sign-ins failed; the doctor named "
                        r"(\w+); with the DynamoDB store (\d+) of \d+ failed", result.out)
    assert summary, result.out[-2000:]
    failed, total, root, after = summary.groups()
    assert 0 < int(failed) <= int(total) and root == "PROXY_STATE_NOT_SHARED" and after == "0"
    assert "Invalid or expired authorization transaction" in result.out \
        or "is not registered with this server" in result.out  # what the failing user sees
    assert "Traceback" not in result.out + result.err

