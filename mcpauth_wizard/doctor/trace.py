"""The doctor's run as evidence: every HTTP exchange in the order it started, redacted.

`records` is the redacted list (the JSON of `--record`); `mermaid` draws it as a sequence
diagram between the doctor (in the MCP client's place), the MCP server, the authorization
server and the login page, each arrow labelled with method, path, status and the one field
that mattered, the failing exchange marked with its finding code (`--trace FILE.md`);
`html` is the same as a page that needs no network (`--trace FILE.html`).

Redaction is the report's and more: JWT signatures and known secrets in every string, the
values of sensitive names (code, tokens, passwords, cookies, CSRF) in queries, forms and JSON
bodies, credential headers; a body that is not JSON is kept only as its size and type.
"""

from __future__ import annotations

import html as html_lib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcpauth_wizard.core.redact import redact_headers, redact_text, redact_url, redact_value

# Answer headers worth keeping: what a client acts on.
KEPT_HEADERS = ("www-authenticate", "x-amzn-remapped-www-authenticate", "location", "content-type",
                "access-control-allow-origin", "access-control-allow-headers", "mcp-session-id",
                "cache-control")
BODY_TEXT_LIMIT = 64 * 1024  # a recorded JSON body larger than this is cut (it is evidence)


def records(log: list[tuple[str, float, Any, Any]], secrets: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The exchanges in the order they started, each redacted."""
    out = []
    for step, at, body, ex in sorted(log, key=lambda e: e[1]):
        record: dict[str, Any] = {
            "step": step, "at_ms": int(at * 1000), "method": ex.method, "url": redact_url(ex.url, secrets),
            "request_headers": redact_headers(
                {k.lower(): v for k, v in ex.request_headers.items()}, secrets),
        }
        if body is not None:
            record["request_body_kind"], record["request_body"] = body[0], redact_value(body[1], secrets)
        if ex.error:
            record["error"] = redact_text(ex.error, secrets)
        if ex.status is not None:
            record["status"] = ex.status
            record["headers"] = redact_headers({k: v for k, v in ex.headers.items() if k in KEPT_HEADERS},
                                               secrets)
            parsed = ex.json()
            if parsed is not None and len(ex.body) <= BODY_TEXT_LIMIT:
                record["body"] = redact_value(parsed, secrets)
            elif ex.body:
                record["body_kept"] = f"{len(ex.body)} bytes of {ex.headers.get('content-type') or 'unknown type'}"
        out.append(record)
    return out


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str
    answer: bool = False
    failed: str = ""  # the finding code this exchange failed with


PARTICIPANTS = {"C": "mcpauth doctor (as the MCP client)", "M": "MCP server",
                "A": "Authorization server", "L": "Login page (browser)"}


def _role(record: dict[str, Any], mcp_url: str) -> str:
    path = urlsplit(record["url"]).path
    mcp = urlsplit(mcp_url)
    same_origin = urlsplit(record["url"]).netloc == mcp.netloc
    if "oauth-protected-resource" in path or (same_origin and path.rstrip("/") == mcp.path.rstrip("/")):
        return "M"
    if path.endswith(("/login", "/signup", "/forgotPassword", "/error")) or record["step"].startswith("login"):
        return "L"
    return "A"


def _what_mattered(record: dict[str, Any]) -> str:
    """The one field of the answer a client acts on."""
    if record.get("error"):
        return record["error"][:80]
    headers, body = record.get("headers") or {}, record.get("body")
    if challenge := headers.get("www-authenticate"):
        from mcpauth_wizard.doctor.challenge import bearer_params

        params = bearer_params(challenge) or {}
        name = next((n for n in ("resource_metadata", "error", "scope") if n in params), None)
        return f'{name}="{params[name]}"' if name else challenge[:60]
    if location := headers.get("location"):
        parts = urlsplit(location)
        error = parse_qs(parts.query).get("error")
        return f"→ {parts.path}" + (f" error={error[0]}" if error else "")
    if isinstance(body, dict):
        for key in ("error", "issuer", "authorization_servers", "resource", "keys", "client_id"):
            if key in body:
                value = body[key]
                if key == "keys" and isinstance(value, list):
                    return f"{len(value)} key(s)"
                return f"{key}={json.dumps(value)[:70]}"
    return ""


def arrows(recs: list[dict[str, Any]], mcp_url: str, failing: dict[str, str]) -> list[Arrow]:
    """Request and answer arrows; the last exchange of a failing step carries its code."""
    last_of_step = {r["step"]: i for i, r in enumerate(recs)}
    out = []
    for i, r in enumerate(recs):
        who = _role(r, mcp_url)
        parts = urlsplit(r["url"])
        path = parts.path + ("?…" if parts.query else "")
        code = failing.get(r["step"], "") if last_of_step.get(r["step"]) == i else ""
        out.append(Arrow("C", who, f"{r['method']} {path}"))
        status = r.get("status")
        answer = f"{status}" if status is not None else "no answer"
        mattered = _what_mattered(r)
        out.append(Arrow(who, "C", f"{answer} {mattered}".strip(), answer=True, failed=code))
    return out


def failing_steps(report: Any) -> dict[str, str]:
    """Each failed step's first error code (the root cause first, when it is one)."""
    roots = {f.code for f in report.roots}
    found: dict[str, str] = {}
    for step in report.steps:
        codes = [f.code for f in step.findings if f.severity == "error"]
        if codes:
            first = next((f for f in step.findings if f.code in roots and f.severity == "error"),
                         next(f for f in step.findings if f.severity == "error"))
            cause = f" (root cause: {first.caused_by})" if first.caused_by else ""
            found[step.id] = first.code + cause
    return found


def _mermaid_text(text: str) -> str:
    """Mermaid message text: ; and # are entity codes, nothing else needs escaping."""
    return text.replace("#", "#35;").replace(";", "#59;").replace("\n", " ")


def _drawn(report: Any) -> list[Any]:
    """The run's arrows, redacted, the failing ones marked (one pass over the log)."""
    return arrows(records(report.log, report.redact_with), report.target.url, failing_steps(report))


def mermaid(report: Any, drawn: list[Any] | None = None) -> str:
    """The sequence diagram of the run (of `drawn`, when the caller has the arrows already)."""
    drawn = _drawn(report) if drawn is None else drawn
    used = {a.source for a in drawn} | {a.target for a in drawn} | {"C"}
    lines = ["sequenceDiagram"]
    lines += [f"    participant {k} as {v}" for k, v in PARTICIPANTS.items() if k in used]
    for a in drawn:
        mark = "-->>" if a.answer else "->>"
        lines.append(f"    {a.source}{mark}{a.target}: {_mermaid_text(('✗ ' if a.failed else '') + a.label)}")
        if a.failed:
            lines.append(f"    Note over {a.target},{a.source}: {a.failed}")
    return "\n".join(lines) + "\n"


def markdown(report: Any) -> str:
    """FILE.md: a heading, the root causes, the diagram (GitHub renders it as is)."""
    roots = list(dict.fromkeys(f.code for f in report.roots))
    head = [f"# mcpauth doctor: {report.target.url}", "",
            f"{report.errors} error(s), {report.warnings} warning(s)"
            + (f"; root cause: {', '.join(roots)}" if roots else "") + ".",
            "", "Secrets, codes, tokens and cookies are redacted; token signatures removed.", ""]
    return "\n".join(head) + "```mermaid\n" + mermaid(report) + "```\n"


_CSS = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.arrow{white-space:nowrap;font-family:monospace}tr.answer td{color:#555}
tr.failed td{background:#fde2e2;color:#900;font-weight:600}code{font-size:13px}pre{background:#f6f6f6;padding:1em}"""


def html(report: Any) -> str:
    """FILE.html: the same exchanges as a table a browser shows without any network."""
    drawn = _drawn(report)
    esc = html_lib.escape
    rows = []
    for a in drawn:
        arrow = f"{esc(PARTICIPANTS[a.source])} {'⇠' if a.answer else '→'} {esc(PARTICIPANTS[a.target])}"
        cls = "failed" if a.failed else ("answer" if a.answer else "")
        code = f" <b>{esc(a.failed)}</b>" if a.failed else ""
        rows.append(f'<tr class="{cls}"><td class="arrow">{arrow}</td><td><code>{esc(a.label)}</code>{code}</td></tr>')
    roots = ", ".join(dict.fromkeys(f.code for f in report.roots)) or "none"
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth doctor trace</title>"
            f"<style>{_CSS}</style></head><body><h1>mcpauth doctor: {esc(report.target.url)}</h1>"
            f"<p>{report.errors} error(s), {report.warnings} warning(s); root cause: {esc(roots)}. "
            "Secrets, codes, tokens and cookies are redacted; token signatures removed.</p>"
            f"<table><tr><th>exchange</th><th>what</th></tr>{''.join(rows)}</table>"
            f"<h2>Mermaid source</h2><pre>{esc(mermaid(report, drawn))}</pre></body></html>\n")


def step_arrows(log: list[tuple[str, float, Any, Any]], step_id: str, mcp_url: str,
                secrets: tuple[str, ...] = ()) -> list[str]:
    """--step: the arrows of one step as text lines, as it ends."""
    recs = [r for r in records(log, secrets) if r["step"] == step_id]
    return [f"{PARTICIPANTS[a.source].split(' (')[0]} {'<--' if a.answer else '-->'} "
            f"{PARTICIPANTS[a.target].split(' (')[0]}: {a.label}" for a in arrows(recs, mcp_url, {})]


def trace_paths(name: str) -> tuple[str, str]:
    """--trace FILE: FILE.md and FILE.html (a .md or .html suffix given is dropped first)."""
    for suffix in (".md", ".html"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name + ".md", name + ".html"
