"""The client registry's facts, checked against the clients' own published packages.

Each row ties one fact of `mcpauth_wizard/mcp/platforms.py` (platform, what it says) to the
published artifact that proves it: a package at the version the registry says it checked
(`Platform.checked`), a file inside the tarball (a glob: bundled chunk names are hashes), and
a pattern that must be there (minified names written as [\\w$]+), or must not (`absent`).

    python -m tests.clients.facts --pinned [--small]   # the pinned versions: exit 1 on any miss
    python -m tests.clients.facts --latest [--small]   # the newest releases: print drift, exit 0

Tarballs come from the npm registry (`npm pack`), are read as a stream and never unpacked:
a 400 MB single-file binary is scanned in 8 MiB blocks. `--small` leaves out the three
platform binaries (Claude Code, OpenCode, Codex: 60-190 MB each); the test suite runs the
small set, CI runs all of them as a step of its own.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("MCPAUTH_FACTS_CACHE", Path(tempfile.gettempdir()) / "mcpauth-client-facts"))
BLOCK, OVERLAP, WHOLE = 8 << 20, 64 << 10, 64 << 20
BIG = ("@anthropic-ai/claude-code-linux-x64", "opencode-linux-x64", "@openai/codex")


@dataclass(frozen=True)
class Fact:
    platform: str  # the registry entry this backs
    says: str  # what the registry relies on, in words
    package: str
    version: str  # the version the registry checked
    member: str  # glob of the file inside the tarball
    pattern: bytes
    absent: bool = False  # the pattern must NOT be there


_W = rb"[\w$]+"
GEMINI_CORE, INSPECTOR, REMOTE = "@google/gemini-cli-core", "@modelcontextprotocol/inspector", "mcp-remote"
CLAUDE, OPENCODE, CODEX = "@anthropic-ai/claude-code-linux-x64", "opencode-linux-x64", "@openai/codex"
_FLOW, _PROVIDER = "package/dist/src/utils/oauth-flow.js", "package/dist/src/mcp/oauth-provider.js"

FACTS: tuple[Fact, ...] = (
    # Gemini CLI: http://localhost:<port>/oauth/callback, port random unless redirectUri pins it
    Fact("gemini-cli", "callback path /oauth/callback", GEMINI_CORE, "0.61.0", _FLOW,
         rb"REDIRECT_PATH = '/oauth/callback'"),
    Fact("gemini-cli", "default redirect http://localhost:<port>/oauth/callback", GEMINI_CORE, "0.61.0",
         _FLOW, rb"return `http://localhost:\$\{redirectPort\}\$\{REDIRECT_PATH\}`"),
    Fact("gemini-cli", "oauth.redirectUri is sent verbatim", GEMINI_CORE, "0.61.0", _FLOW,
         rb"if \(config\.redirectUri\) \{\s*return config\.redirectUri;"),
    Fact("gemini-cli", "random port unless set", GEMINI_CORE, "0.61.0", _FLOW,
         rb"let listenPort = 0; // Default to OS-assigned port"),
    Fact("gemini-cli", "the port of oauth.redirectUri is the listener's", GEMINI_CORE, "0.61.0",
         _PROVIDER, rb"const preferredPort = getPortFromUrl\(config\.redirectUri\)"),
    Fact("gemini-cli", "refuses a response without iss once it knows the issuer", GEMINI_CORE, "0.61.0",
         _FLOW, rb"Missing \"iss\" parameter in authorization response per RFC 9207"),
    Fact("gemini-cli", "the iss check is not gated on authorization_response_iss_parameter_supported",
         GEMINI_CORE, "0.61.0", _FLOW, rb"authorization_response_iss_parameter_supported", absent=True),
    Fact("gemini-cli", "explicit authorizationUrl skips discovery", GEMINI_CORE, "0.61.0", _PROVIDER,
         rb"if \(!config\.authorizationUrl && mcpServerUrl\)"),
    Fact("gemini-cli", "oauth settings keys (clientId, authorizationUrl, tokenUrl, redirectUri)",
         GEMINI_CORE, "0.61.0", "package/dist/src/mcp/oauth-provider.d.ts",
         rb"clientId\?: string;[\s\S]*authorizationUrl\?: string;[\s\S]*tokenUrl\?: string;[\s\S]*"
         rb"redirectUri\?: string;"),
    # MCP Inspector: <origin>/oauth/callback (+ /debug in v1) on 6274; 2.x CLI on 6276
    Fact("inspector", "redirect = the page's origin + /oauth/callback", INSPECTOR, "0.15.0",
         "package/client/dist/assets/index-*.js", rb'return window\.location\.origin \+ "/oauth/callback";'),
    Fact("inspector", "v1 debug redirect /oauth/callback/debug", INSPECTOR, "0.15.0",
         "package/client/dist/assets/index-*.js", rb"`\$\{window\.location\.origin\}/oauth/callback/debug`"),
    Fact("inspector", "web UI port 6274 (CLIENT_PORT)", INSPECTOR, "0.15.0", "package/cli/build/cli.js",
         rb'process\.env\.CLIENT_PORT \?\? "6274"'),
    # where the web UI fetches the metadata: v1's page itself (so it needs CORS), 2.x's backend
    Fact("inspector", "v1 web UI fetches the metadata from the page (the browser bundle)", INSPECTOR,
         "0.15.0", "package/client/dist/assets/index-*.js",
         rb'url = new URL\("/\.well-known/oauth-protected-resource", serverUrl\);'),
    Fact("inspector", "2.x web UI fetches through its backend (POST /api/fetch)", INSPECTOR, "2.12.0",
         "package/clients/web/build/index.js", rb'app\.post\("/api/fetch"'),
    Fact("inspector-cli", "CLI callback port 6276", INSPECTOR, "2.12.0", "package/clients/cli/build/index.js",
         rb"RUNNER_OAUTH_CALLBACK_DEFAULT_PORT = 6276;"),
    Fact("inspector-cli", "CLI callback path /oauth/callback", INSPECTOR, "2.12.0",
         "package/clients/cli/build/index.js", rb'RUNNER_OAUTH_CALLBACK_PATH = "/oauth/callback";'),
    Fact("inspector-cli", "--callback-url overrides the callback", INSPECTOR, "2.12.0",
         "package/clients/cli/build/index.js", rb'"--callback-url <url>"'),
    Fact("inspector-cli", "--client-id for a static client", INSPECTOR, "2.12.0",
         "package/clients/cli/build/index.js", rb'"--client-id <id>"'),
    Fact("inspector-cli", "needs Node 22.19 or later", INSPECTOR, "2.12.0", "package/package.json",
         rb'"node": ">=22\.19\.0"'),
    # mcp-remote: localhost:<port derived from the server URL>/oauth/callback
    Fact("mcp-remote", "callback path /oauth/callback", REMOTE, "0.15.1", "package/dist/chunk-*.js",
         rb'var DEFAULT_CALLBACK_PATH = "/oauth/callback";'),
    Fact("mcp-remote", "port = 3335 + int(md5 hex[:4], 16) % 45816", REMOTE, "0.15.1",
         "package/dist/chunk-*.js",
         rb"const offset = parseInt\(serverUrlHash\.substring\(0, 4\), 16\);\s*return 3335 \+ offset % 45816;"),
    Fact("mcp-remote", "host localhost (127.0.0.1 on Windows)", REMOTE, "0.15.1", "package/dist/chunk-*.js",
         rb'let host = process\.platform === "win32" \? "127\.0\.0\.1" : "localhost";'),
    Fact("mcp-remote", "--static-oauth-client-info", REMOTE, "0.15.1", "package/dist/chunk-*.js",
         rb'args\.indexOf\("--static-oauth-client-info"\)'),
    # Claude Code (platform binary): localhost:<port>/callback, --callback-port, not strict on S256
    Fact("claude-code", "redirect http://localhost:<port>/callback", CLAUDE, "2.1.332", "package/claude",
         rb"return`http://localhost:\$\{" + _W + rb"\}/callback`"),
    Fact("claude-code", "MCP_OAUTH_CALLBACK_PORT", CLAUDE, "2.1.332", "package/claude",
         _W + rb"\.MCP_OAUTH_CALLBACK_PORT;return " + _W + rb"!==void 0&&" + _W + rb"<=65535"),
    Fact("claude-code", "random port 49152-65535 unless set", CLAUDE, "2.1.332", "package/claude",
         rb'range:' + _W + rb'\(\)==="windows"\?\{min:39152,max:49151\}:\{min:49152,max:65535\}'),
    Fact("claude-code", "claude mcp add --callback-port", CLAUDE, "2.1.332", "package/claude",
         rb'"--callback-port <port>","Fixed port for OAuth callback'),
    Fact("claude-code", "refuses only a method list without S256, not a missing one", CLAUDE, "2.1.332",
         "package/claude", rb"if\(" + _W + rb"\.code_challenge_methods_supported&&!" + _W
         + rb"\.code_challenge_methods_supported\.includes\("),
    Fact("claude-code", "a missing iss is fatal only when the AS advertises it", CLAUDE, "2.1.332",
         "package/claude", rb"if\(" + _W + rb"===void 0\)\{if\(" + _W + rb"\)throw new " + _W
         + rb"\(\"authorization_response\""),
    # OpenCode (platform binary): 127.0.0.1:19876/mcp/oauth/callback; redirectUri, callbackPort
    Fact("opencode", "default port 19876 and path /mcp/oauth/callback", OPENCODE, "1.18.33",
         "package/bin/opencode", rb'=19876,' + _W + rb'="/mcp/oauth/callback"'),
    Fact("opencode", "oauth.redirectUri", OPENCODE, "1.18.33", "package/bin/opencode",
         rb'redirectUri:' + _W + rb'\.optional\(' + _W + rb'\.String\)\.annotate\(\{description:"OAuth '
         rb'redirect URI \(default: http://127\.0\.0\.1:19876/mcp/oauth/callback\)\."\}\)'),
    Fact("opencode", "oauth.callbackPort", OPENCODE, "1.18.33", "package/bin/opencode",
         rb"callbackPort:" + _W + rb"\.optional\("),
    Fact("opencode", "no client id and no DCR: refused", OPENCODE, "1.18.33", "package/bin/opencode",
         rb"Server does not support dynamic client registration\. Please provide clientId in config\."),
    # Codex (platform binary, published as a version of @openai/codex)
    Fact("codex", "mcp_oauth_callback_port", CODEX, "0.171.0-linux-x64",
         "package/vendor/*/bin/codex", rb"mcp_oauth_callback_port"),
    Fact("codex", "mcp_oauth_callback_url", CODEX, "0.171.0-linux-x64",
         "package/vendor/*/bin/codex", rb"mcp_oauth_callback_url"),
    Fact("codex", "the callback id or iss support is required", CODEX, "0.171.0-linux-x64",
         "package/vendor/*/bin/codex",
         rb"OAuth callback requires its expected callback ID or authorization response issuer support"),
)


def remote_port(server_url: str, headers: dict[str, str] | None = None) -> int:
    """mcp-remote 0.15's callback port for a server URL: the MD5 of the URL as typed and (as
    JSON.stringify with sorted keys) its --header values (getServerUrlHash)."""
    import hashlib

    parts = [server_url] + ([json.dumps(dict(sorted(headers.items())), separators=(",", ":"))]
                            if headers else [])
    digest = hashlib.md5("|".join(parts).encode()).hexdigest()
    return 3335 + int(digest[:4], 16) % 45816


def tarball(package: str, version: str) -> Path:
    """The package's tarball from the npm registry (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = package.lstrip("@").replace("/", "-") + f"-{version}.tgz"
    path = CACHE / name
    if not path.exists():
        done = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent",
                               "--pack-destination", str(CACHE)], capture_output=True, text=True,
                              timeout=900)
        if done.returncode != 0 or not path.exists():
            raise RuntimeError(f"npm pack {package}@{version} failed: {done.stderr.strip()[-300:]}")
    return path


def latest(package: str, pinned: str) -> str:
    """The newest release of the package (for a platform build published as a version
    suffix, the newest release with that suffix)."""
    suffix = pinned.split("-", 1)[1] if "-" in pinned else ""
    base = json.loads(subprocess.run(["npm", "view", package, "version", "--json"], capture_output=True,
                                     text=True, timeout=120, check=True).stdout)
    return f"{base}-{suffix}" if suffix else base


def check(path: Path, facts: list[Fact]) -> dict[Fact, str | None]:
    """fact → where it was found (None: not found). One streaming pass over the tarball."""
    found: dict[Fact, str | None] = dict.fromkeys(facts)
    seen: set[Fact] = set()  # facts whose file is in the package at all
    with tarfile.open(path, "r|gz") as archive:
        for member in archive:
            seen.update(f for f in facts if member.isfile() and fnmatch.fnmatch(member.name, f.member))
            todo = [f for f in facts if member.isfile() and fnmatch.fnmatch(member.name, f.member)
                    and found[f] is None]
            if not todo:
                continue
            stream = archive.extractfile(member)
            assert stream is not None
            if member.size < WHOLE:
                data = stream.read()
                for fact in todo:
                    if re.search(fact.pattern, data):
                        found[fact] = member.name
                continue
            tail = b""
            while block := stream.read(BLOCK):
                data = tail + block
                for fact in todo:
                    if found[fact] is None and re.search(fact.pattern, data):
                        found[fact] = member.name
                if all(found[f] for f in todo):
                    break
                tail = data[-OVERLAP:]
    for fact in facts:  # "not there" proves nothing when the file itself is missing
        if fact.absent and fact not in seen:
            found[fact] = f"(no {fact.member} in the package)"
    return found


def run(facts: tuple[Fact, ...], *, newest: bool, out: object = sys.stdout) -> list[str]:
    """Check each fact; the lines that failed (pinned) or drifted (newest)."""
    groups: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        groups.setdefault((fact.package, fact.version), []).append(fact)
    problems = []
    for (package, version), group in groups.items():
        target = latest(package, version) if newest else version
        found = check(tarball(package, target), group)
        for fact in group:
            ok = (found[fact] is None) if fact.absent else (found[fact] is not None)
            # (an absent fact whose file is missing was marked found above: it fails)
            label = f"{fact.platform}: {fact.says} ({package}@{target})"
            print(("ok    " if ok else ("DRIFT " if newest else "FAIL  ")) + label, file=out)  # type: ignore[arg-type]
            if not ok:
                problems.append(label)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--pinned", action="store_true", help="the versions the registry checked")
    which.add_argument("--latest", action="store_true", help="the newest releases: report drift")
    parser.add_argument("--small", action="store_true", help="leave out the platform binaries")
    args = parser.parse_args(argv)
    facts = tuple(f for f in FACTS if not (args.small and f.package in BIG))
    problems = run(facts, newest=args.latest)
    print(f"{len(facts) - len(problems)} of {len(facts)} facts hold"
          + (f"; {len(problems)} drifted in the newest releases" if args.latest and problems else ""))
    return 1 if problems and args.pinned else 0


if __name__ == "__main__":
    sys.exit(main())
