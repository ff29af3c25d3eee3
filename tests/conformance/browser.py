"""A browser stand-in for the conformance scenarios (BROWSER="python browser.py %s").

The suite's mock authorization server approves at once and redirects to the client's
redirect URI, so being the browser means following redirects until the loopback
listener has answered. Only loopback hosts are visited.
"""

from __future__ import annotations

import sys
from urllib.parse import urljoin, urlsplit

import httpx

LOOPBACK = ("localhost", "127.0.0.1")


def follow(url: str) -> int:
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        for _ in range(10):
            if urlsplit(url).hostname not in LOOPBACK:
                print(f"browser stand-in: refusing to visit {url} (not loopback)", file=sys.stderr)
                return 1
            answer = browser.get(url)
            if not answer.is_redirect:
                return 0 if answer.status_code < 400 else 1
            url = urljoin(url, answer.headers["location"])
    return 1


if __name__ == "__main__":
    sys.exit(follow(sys.argv[1]))
