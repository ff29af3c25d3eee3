"""Errors a user can cause or meet, each printed as one line with a fixed exit code."""

from __future__ import annotations


class McpAuthError(Exception):
    """An expected failure: printed as one line, never a traceback."""

    exit_code = 1


class BadInput(McpAuthError):
    """Bad usage or bad input (exit 2): names the bad value and what is accepted."""

    exit_code = 2


class AwsProblem(McpAuthError):
    """AWS answered with an error the user can act on (exit 1)."""


class NotFound(AwsProblem):
    """A named AWS resource does not exist."""
