"""Callback URL rules: what Cognito accepts, exact matching and near misses."""

from __future__ import annotations

import pytest

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.mcp.platforms import PLATFORMS, get_platform, platforms_of_url
from mcpauth_wizard.oauth.redirects import (
    MAX_CALLBACKS,
    add_urls,
    matches_template,
    near_miss,
    remove_urls,
    validate_callback_url,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "http://localhost:6274/oauth/callback",
        "http://127.0.0.1:33418/",
        "http://[::1]:8080/cb",
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://example.com/cb?x=1",
    ],
)
def test_accepted_callback_urls(url: str) -> None:
    assert validate_callback_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/cb", "non-loopback"),
        ("https://example.com/cb#frag", "fragment"),
        ("/relative/cb", "not absolute"),
        ("example.com/cb", "not absolute"),
        ("https://" + "a" * 1020 + ".com", "at most 1024"),
        ("javascript://alert(1)", "never accepted"),
        ("https:///nohost", "no host"),
        ("https://exa mple.com/cb", "white space"),
        ("http://localhost:99999/cb", "not a valid URL"),
    ],
)
def test_refused_callback_urls_name_the_problem(url: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        validate_callback_url(url)


@pytest.mark.parametrize(
    ("wanted", "registered", "difference"),
    [
        ("http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/", "trailing slash"),
        ("http://localhost:6274/oauth/callback", "http://127.0.0.1:6274/oauth/callback", "host 127.0.0.1 vs localhost"),
        ("https://claude.ai/api/mcp/auth_callback", "http://claude.ai/api/mcp/auth_callback", "scheme http vs https"),
        ("http://localhost:6274/oauth/callback", "http://localhost:6275/oauth/callback", "port 6275 vs 6274"),
    ],
)
def test_near_misses_are_named(wanted: str, registered: str, difference: str) -> None:
    miss = near_miss(wanted, registered)
    assert miss is not None
    assert difference in miss.describe()


@pytest.mark.parametrize(
    ("wanted", "registered"),
    [
        ("https://claude.ai/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback"),
        ("https://claude.ai/api/mcp/auth_callback", "https://chatgpt.com/connector_platform_oauth_redirect"),
        ("https://a.example.com/cb", "https://b.example.com/cb"),
        ("http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"),
    ],
)
def test_unrelated_or_equal_urls_are_not_near_misses(wanted: str, registered: str) -> None:
    assert near_miss(wanted, registered) is None


def test_every_platform_has_valid_callback_urls() -> None:
    for platform in PLATFORMS.values():
        port = 8765 if platform.needs_port and platform.default_port is None else None
        if platform.no_pre_registered:  # Zed: a random port per sign-in, nothing to register
            with pytest.raises(BadInput, match="--registration dcr"):
                platform.callback_urls(port, "https://mcp.example.com/mcp")
            continue
        urls = platform.callback_urls(port, "https://mcp.example.com/mcp")
        assert urls, platform.name
        for url in urls:
            assert validate_callback_url(url) == url
            assert platform in platforms_of_url(url)


def test_platform_with_random_port_requires_one() -> None:
    with pytest.raises(BadInput, match="claude-code needs --port"):
        get_platform("claude-code").callback_urls()
    assert get_platform("claude-code").callback_urls(8765) == ("http://localhost:8765/callback",)
    with pytest.raises(BadInput, match="does not apply"):
        get_platform("chatgpt").callback_urls(8765)


def test_unknown_platform_lists_the_known_ones() -> None:
    with pytest.raises(BadInput) as info:
        get_platform("chatgtp")
    assert "chatgpt" in str(info.value) and "inspector" in str(info.value)


def test_template_matching_is_exact_but_for_the_port() -> None:
    template = "http://localhost:{port}/callback"
    assert matches_template("http://localhost:8765/callback", template)
    assert not matches_template("http://localhost:8765/callback/", template)
    assert not matches_template("http://127.0.0.1:8765/callback", template)


def test_add_and_remove_keep_order_and_refuse_more_than_100() -> None:
    change = add_urls(["https://a/1", "https://a/2"], ["https://a/2", "https://a/3"])
    assert change.after == ("https://a/1", "https://a/2", "https://a/3")
    assert change.added == ("https://a/3",)
    assert not add_urls(["https://a/1"], ["https://a/1"]).changes_anything
    assert remove_urls(["https://a/1", "https://a/2"], ["https://a/1"]).after == ("https://a/2",)
    full = [f"https://a/{i}" for i in range(MAX_CALLBACKS)]
    with pytest.raises(BadInput, match="at most 100"):
        add_urls(full, ["https://a/new"])


def test_token_redaction_removes_signatures_and_encrypted_tokens() -> None:
    from mcpauth_wizard.core.redact import redact_jwt, redact_text

    assert redact_jwt("a eyJhbGc.eyJzdWIi.c2lnbmF0dXJl b") == "a eyJhbGc.eyJzdWIi.<signature redacted> b"
    jwe = "eyJjdHkiOiJKV1QifQ.abc.def.ghi.jkl"
    assert redact_jwt(f"refresh={jwe}") == "refresh=<encrypted token redacted>"
    assert redact_text("secret=s3cr3t!", ["s3cr3t!"]) == "secret=********"


@pytest.mark.parametrize(("identifier", "near"), [
    ("https://x.example.com/mcp/", True), ("https://x.example.com", True), ("https://x.example.com/", True),
    ("https://x.example.com/mcp", False), ("https://y.example.com/mcp", False),
])
def test_resource_server_near_misses(identifier: str, near: bool) -> None:
    from mcpauth_wizard.provision.spec import resource_near_miss

    assert resource_near_miss(identifier, "https://x.example.com/mcp") is near
