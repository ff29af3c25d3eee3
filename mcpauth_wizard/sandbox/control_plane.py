"""moto as a local AWS control plane on 127.0.0.1, with a log of every call it served."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcpauth_wizard.aws.session import is_mutating


@dataclass(frozen=True)
class ServedCall:
    service: str
    operation: str

    @property
    def mutating(self) -> bool:
        return is_mutating(self.operation)


@dataclass
class CallLog:
    """Every AWS operation the control plane answered, in order (thread-safe)."""

    calls: list[ServedCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: ServedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def mutating(self) -> list[str]:
        with self._lock:
            return [c.operation for c in self.calls if c.mutating]

    def operations(self) -> list[str]:
        with self._lock:
            return [c.operation for c in self.calls]


def _operation(environ: dict[str, Any]) -> ServedCall | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocol: "AWSCognitoIdentityProviderService.DescribeUserPool"
        service, _, op = target.partition(".")
        return ServedCall(service="cognito-idp" if "Cognito" in service else service, operation=op)
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path.startswith("/gateways"):  # REST protocol of bedrock-agentcore-control
        parts = [p for p in path.split("/") if p]
        if method == "POST" and len(parts) == 1:
            op = "CreateGateway"
        elif method == "GET":
            op = "ListGateways" if len(parts) == 1 else "GetGateway"
        elif method == "PUT":
            op = "UpdateGateway"
        elif method == "DELETE":
            op = "DeleteGateway"
        else:
            op = f"{method} {path}"
        if "targets" in parts:
            op = op.replace("Gateway", "GatewayTarget")
        return ServedCall(service="bedrock-agentcore-control", operation=op)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        # Query protocol (STS): the action is in the form body; read it and put it back.
        import io
        from urllib.parse import parse_qs

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["Query"])[0]
        return ServedCall(service="query", operation=action)
    return None


class ControlPlane:
    """A moto server (patched to behave like AWS) on 127.0.0.1 in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 on_call: Callable[[ServedCall], None] | None = None) -> None:
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        from mcpauth_wizard.sandbox import moto_ext

        moto_ext.install()
        self.log = CallLog()
        self._on_call = on_call
        # Fault injection for tests: a call for which this returns True gets an AWS 500.
        self.fail_when: Callable[[ServedCall], bool] | None = None
        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            call = _operation(environ)
            if call is not None:
                self.log.add(call)
                if self._on_call:
                    self._on_call(call)
                if self.fail_when is not None and self.fail_when(call):
                    body = b'{"__type": "InternalErrorException", "message": "injected failure"}'
                    start_response("500 Internal Server Error", [
                        ("Content-Type", "application/x-amz-json-1.1"),
                        ("Content-Length", str(len(body)))])
                    return [body]
            return moto_app(environ, start_response)

        self._server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ControlPlane:
        self._thread.start()
        return self

    def reset(self) -> None:
        """Forget every resource (moto's state is per process) and the call log."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.log.clear()
        self.fail_when = None

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
