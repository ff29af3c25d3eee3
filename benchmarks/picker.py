"""How long `mcpauth init` takes to show the user-pool question in an account with many pools.

POOLS pools in moto, behind a proxy that delays every AWS call by DELAY. Printed side by
side in one run: the picker as it is (ListUserPools pages of 60, details described only
after the choice) and the previous one (every pool described, and its clients listed, on 16
threads before the first prompt, up to 400 pools), each as AWS calls made and time to the
first prompt. Goal: calls ≤ ceil(POOLS / 60) + 5, first prompt ≤ 2 s.

Run: python benchmarks/picker.py [pools] [delay_ms]
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FirstPrompt(Exception):
    """Raised by the prompter at the first question: the clock stops there."""


class StopAtFirstPrompt:
    can_ask = True

    def select(self, key: str, message: str, options: list[Any], default: str | None = None) -> str:
        raise FirstPrompt(len(options))

    def say(self, message: str) -> None:
        pass


def time_to_first_prompt(show_first_prompt: Any, proxy: Any) -> tuple[float, int]:
    proxy.calls.clear()
    started = time.perf_counter()
    try:
        show_first_prompt()
    except FirstPrompt:
        pass
    return time.perf_counter() - started, len(proxy.calls)


def previous_picker(aws: Any) -> None:
    """The picker before issue 9, kept here only to be measured against."""
    from mcpauth_wizard.aws import app_clients, user_pools

    pools = user_pools.list_user_pools(aws)

    def detail(pool: Any) -> str:
        user_pools.describe_user_pool(aws, pool.id)
        return f"{pool.name} {len(app_clients.list_clients(aws, pool.id))}"

    with ThreadPoolExecutor(max_workers=16) as reader:
        options = list(reader.map(detail, pools[:400]))
    StopAtFirstPrompt().select("pool", "User pool", options)


def main() -> None:
    pools = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    delay = (float(sys.argv[2]) if len(sys.argv) > 2 else 50.0) / 1000
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    import boto3

    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.provision.wizard import ask
    from mcpauth_wizard.sandbox.control_plane import ControlPlane
    from tests.aws_proxy import AwsProxy

    plane = ControlPlane().start()
    cognito = boto3.client("cognito-idp", endpoint_url=plane.url, region_name="us-east-1")
    for i in range(pools):
        cognito.create_user_pool(PoolName=f"pool-{i:04}")
    measured = {}
    for label, seconds in (("delayed", delay), ("no delay", 0.0)):
        with AwsProxy(plane.url, delay_s=seconds) as proxy:
            aws = AwsContext(endpoint_url=proxy.url)
            now = time_to_first_prompt(lambda aws=aws: ask({}, StopAtFirstPrompt(), aws), proxy)
            aws = AwsContext(endpoint_url=proxy.url)
            old = time_to_first_prompt(lambda aws=aws: previous_picker(aws), proxy)
        measured[label] = (now, old)
    plane.stop()
    (now_s, now_calls), (old_s, old_calls) = measured["delayed"]
    (now_base, _), (old_base, _) = measured["no delay"]
    goal_calls = math.ceil(pools / 60) + 5
    print(f"{pools} pools, {delay * 1000:.0f} ms per AWS call")
    print(f"  picker now:      {now_calls:4d} calls, first prompt after {now_s:6.2f} s "
          f"(goal ≤ {goal_calls} calls, ≤ 2 s)")
    print(f"  previous picker: {old_calls:4d} calls, first prompt after {old_s:6.2f} s")
    print(f"  ratio previous / now: {old_calls / now_calls:.1f}x calls, {old_s / now_s:.1f}x time")
    print(f"  of which moto and this machine, measured with no delay: now {now_base:.2f} s, "
          f"previous {old_base:.2f} s (moto pages ListUserPools in O(pools) per page)")
    print(f"  delay alone: now {now_s - now_base:.2f} s, previous {old_s - old_base:.2f} s")


if __name__ == "__main__":
    main()
