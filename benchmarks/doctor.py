"""How many network round trips the doctor's critical path costs.

The sandbox runs behind loopback TCP proxies that delay every request by DELAY; the
doctor checks 3 platforms (AWS + HTTP phases). Printed side by side in one run: the
concurrent runner, and the same steps one at a time (what sequential probing costs),
each as total time / DELAY. Goal: concurrent ≤ 5 delays (sequential: ~15 or more).

Run: python benchmarks/doctor.py [delay_ms] [rounds]
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class DelayProxy:
    """127.0.0.1:port → target; each answer to a request waits DELAY (once per exchange,
    however many packets the request or the answer takes)."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port, self.delay = target_port, delay
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()
        self.ready.wait(5)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       exchange: dict[str, bool], answering: bool) -> None:
            try:
                while data := await reader.read(65536):
                    if answering and exchange["pending"]:
                        exchange["pending"] = False
                        await asyncio.sleep(self.delay)
                    elif not answering:
                        exchange["pending"] = True
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                writer.close()
                return
            exchange = {"pending": False}
            await asyncio.gather(pipe(reader, up_writer, exchange, False),
                                 pipe(up_reader, writer, exchange, True))

        async def main() -> None:
            await asyncio.start_server(handle, "127.0.0.1", self.port)
            self.ready.set()
            await asyncio.Event().wait()

        self.loop.run_until_complete(main())


def main() -> None:
    from mcpauth_wizard.cli import Options
    from mcpauth_wizard.cli import main as cli_main
    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.doctor.run import aws_access, diagnose, make_target
    from mcpauth_wizard.sandbox.local import environment
    from mcpauth_wizard.sandbox.local import working_folder as _folder
    from mcpauth_wizard.sandbox.server import Sandbox

    delay = (float(sys.argv[1]) if len(sys.argv) > 1 else 100.0) / 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    web_port = probe.getsockname()[1]
    probe.close()
    web_proxy = DelayProxy(web_port, delay)
    with Sandbox(web_port=web_port, public_web_url=f"http://127.0.0.1:{web_proxy.port}").start() as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        aws_proxy = DelayProxy(sandbox.control_plane.port, delay)
        seed = sandbox.seed()
        env = {**sandbox.aws_env(), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_proxy.port}"}
        import contextlib
        import io

        with environment({**sandbox.aws_env()}), _folder(folder), contextlib.redirect_stdout(io.StringIO()):
            try:  # set up without the delay
                cli_main(["init", "--pool-id", seed.pool_id, "--domain", "bench-login", "--gateway-id",
                          seed.gateway_id, "--platform", "chatgpt,claude,inspector",
                          "--gateway-allowed-scopes", "--yes", "--no-input",
                          "--allow-breaking"])  # the seeded gateway is IAM: init switches it
            except SystemExit as exc:
                if exc.code != 0:
                    raise SystemExit(f"init failed (exit {exc.code}): the benchmark needs a setup") from None
        with environment(env), _folder(folder):
            target = make_target(load_project(), url=None, platforms=None, client_id=None,
                                 secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                                 login_platform=None)
            aws, problem = aws_access(Options(None, None, None, 0, True, True), target)

            async def no_pause(step: object, ctx: object) -> None:
                return None

            def timed(**kwargs: object) -> tuple[float, int]:
                started = time.perf_counter()
                report = asyncio.run(diagnose(target, aws, problem, **kwargs))  # type: ignore[arg-type]
                return time.perf_counter() - started, report.errors

            timed()  # warm imports and connections once
            if os.environ.get("BENCH_STEPS"):
                report = asyncio.run(diagnose(target, aws, problem))
                for step in report.steps:
                    print(f"  {step.id:32} {step.duration_ms / 1000 / delay:5.1f} delays")
            concurrent, sequential = [], []
            for _ in range(rounds):  # interleaved, so drift hits both alike
                concurrent.append(timed()[0])
                sequential.append(timed(pause=no_pause)[0])
    c, s = statistics.median(concurrent), statistics.median(sequential)
    print(f"delay per request   {delay * 1000:.0f} ms (loopback proxies in front of the sandbox)")
    print(f"doctor, concurrent  {c:6.2f} s = {c / delay:5.1f} delays  (goal ≤ 5: challenge, metadata, AS metadata, authorize, token)")
    print(f"doctor, one by one  {s:6.2f} s = {s / delay:5.1f} delays")
    print(f"speed-up            {s / c:5.1f}x  (median of {rounds} rounds, 3 platforms, AWS + HTTP)")


if __name__ == "__main__":
    main()
