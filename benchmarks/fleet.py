"""How long `mcpauth doctor --all` takes over a fleet of gateways, with AWS throttling.

GATEWAYS gateways in the sandbox (one set up by `init`, the rest sharing its pool, clients
and authorizer); every HTTP request to the sandbox and every AWS call waits DELAY behind a
loopback proxy, and the AWS proxy throttles: above RATE calls per second (a token bucket
with a burst of RATE) it answers ThrottlingException, as AWS does. Printed side by side in
one run: the fleet run at CONCURRENCY gateways at once (adaptive retries) and the same
gateways one at a time, with the throttled answers seen and any gateway not diagnosed
(AWS_CALL_FAILED, a failed step, no report). Goal: 200 gateways in a few minutes, none
lost to throttling.

Run: python benchmarks/fleet.py [gateways] [delay_ms] [rate_per_s] [concurrency]
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NOT_DIAGNOSED = {"AWS_CALL_FAILED", "AWS_UNREACHABLE", "DOCTOR_STEP_FAILED"}


def _delay_proxy() -> Any:
    """DelayProxy of benchmarks/doctor.py (one delay per exchange)."""
    spec = importlib.util.spec_from_file_location("bench_doctor", Path(__file__).with_name("doctor.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.DelayProxy


class Throttle:
    """A token bucket: `rate` calls per second, a burst of `rate`; the rest are throttled."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.lock = threading.Lock()
        self.throttled = 0

    def __call__(self, operation: str) -> str | None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            self.throttled += 1
            return "ThrottlingException"


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _lost(fleet: Any) -> int:
    lost = 0
    for entry in fleet.entries:
        codes = {f.code for f in entry.report.findings} if entry.report else set()
        lost += entry.report is None or bool(codes & NOT_DIAGNOSED)
    return lost


def main() -> None:
    from mcpauth_wizard.cli import main as cli_main
    from mcpauth_wizard.doctor.fleet import run_all
    from mcpauth_wizard.sandbox.local import environment, working_folder
    from mcpauth_wizard.sandbox.server import Sandbox
    from tests.aws_proxy import AwsProxy

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    delay = (float(sys.argv[2]) if len(sys.argv) > 2 else 50.0) / 1000
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 25.0
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    web_port = _free_port()
    web_proxy = _delay_proxy()(web_port, delay)
    with Sandbox(web_port=web_port, public_web_url=f"http://127.0.0.1:{web_proxy.port}").start() as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        seed = sandbox.seed()
        with environment(sandbox.aws_env()), working_folder(folder), \
                contextlib.redirect_stdout(io.StringIO()):
            try:  # set up without the delay
                cli_main(["init", "--pool-id", seed.pool_id, "--domain", "fleet-bench", "--gateway-id",
                          seed.gateway_id, "--platform", "chatgpt,claude", "--gateway-allowed-scopes",
                          "--yes", "--no-input", "--allow-breaking"])
            except SystemExit as exc:
                if exc.code != 0:
                    raise SystemExit(f"init failed (exit {exc.code}): the benchmark needs a setup") from None
        control = sandbox.boto("bedrock-agentcore-control")
        first = control.get_gateway(gatewayIdentifier=seed.gateway_id)
        for index in range(1, count):
            control.create_gateway(name=f"fleet-{index}", roleArn=first["roleArn"], protocolType="MCP",
                                   authorizerType="CUSTOM_JWT",
                                   authorizerConfiguration=first["authorizerConfiguration"])
        throttle = Throttle(rate)
        with AwsProxy(sandbox.endpoint_url, delay_s=delay, rule=throttle) as aws_proxy, \
                environment({**sandbox.aws_env(), "AWS_ENDPOINT_URL": aws_proxy.url}):
            from mcpauth_wizard.aws.session import AwsContext

            def timed(at_once: int) -> tuple[float, Any, int, int]:
                throttle.throttled = 0
                aws_proxy.calls.clear()
                started = time.perf_counter()
                fleet = run_all(AwsContext(), (sandbox.aws_env()["AWS_REGION"],), None,
                                concurrency=at_once)
                return time.perf_counter() - started, fleet, throttle.throttled, len(aws_proxy.calls)

            together, fleet, throttled, calls = timed(concurrency)
            alone, fleet_alone, throttled_alone, _ = timed(1)
    assert len(fleet.entries) == count, (len(fleet.entries), count)
    print(f"gateways            {count} (delay {delay * 1000:.0f} ms per request and per AWS call; "
          f"AWS throttles above {rate:.0f} calls/s)")
    print(f"fleet, {concurrency:2d} at once   {together:7.2f} s  ({together / count:.2f} s per gateway; "
          f"{throttled} throttled answers; {_lost(fleet)} not diagnosed)")
    print(f"fleet, one by one   {alone:7.2f} s  ({alone / count:.2f} s per gateway; "
          f"{throttled_alone} throttled answers; {_lost(fleet_alone)} not diagnosed)")
    print(f"AWS calls           {calls} in the fleet run ({calls / together:.1f} per second; "
          f"the throttle allows {rate:.0f})")
    print(f"speed-up            {alone / together:5.1f}x  (same gateways, same run)")


if __name__ == "__main__":
    main()
