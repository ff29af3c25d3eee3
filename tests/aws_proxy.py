"""An HTTP proxy in front of the local control plane that misbehaves like a network can.

It forwards each AWS call to the control plane and, when a rule says so, delays it, loses
the answer after forwarding (the create happened, the client sees a 500), or answers an
AWS error without forwarding (throttling, access denied). Tests and benchmarks only.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# What to do with one call: None forwards it; "lose" forwards it then answers 500;
# an error code ("ThrottlingException", "AccessDeniedException") answers that error.
Rule = Callable[[str], str | None]

_STATUS = {"ThrottlingException": 400, "AccessDeniedException": 400, "lose": 500}


@dataclass
class AwsProxy:
    upstream: str
    delay_s: float = 0.0
    rule: Rule | None = None
    rewrite: Callable[[str, bytes], bytes] | None = None  # (operation, answer body) → body sent
    hold: Callable[[str, bytes], float] | None = None  # (operation, request body) → extra seconds
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        proxy = self
        target = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target_header = self.headers.get("X-Amz-Target") or ""
                operation = target_header.rpartition(".")[2] or f"{self.command} {self.path}"
                with proxy._lock:
                    proxy.calls.append(operation)
                if proxy.delay_s:
                    time.sleep(proxy.delay_s)
                if proxy.hold is not None:
                    time.sleep(proxy.hold(operation, body))
                action = proxy.rule(operation) if proxy.rule else None
                if action not in (None, "lose"):
                    return self._answer(_STATUS.get(action, 400), action, "injected by the test proxy")
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                if action == "lose":  # it happened upstream; the caller never hears of it
                    return self._answer(500, "InternalErrorException", "response lost")
                if proxy.rewrite is not None:
                    data = proxy.rewrite(operation, data)
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, status: int, code: str, message: str) -> None:
                data = json.dumps({"__type": code, "message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-ErrorType", code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> AwsProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def once(operation: str, action: str, times: int = 1) -> Rule:
    """A rule that does `action` to the first `times` calls of `operation`."""
    left = {"n": times}

    def rule(op: str) -> str | None:
        if op == operation and left["n"] > 0:
            left["n"] -= 1
            return action
        return None

    return rule
