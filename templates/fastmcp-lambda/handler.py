"""The Lambda entry point: the MCP server's ASGI app under Mangum.

The app is made once per cold start (module level) and reused by warm invocations.
Stateless HTTP with JSON responses: no MCP session has to outlive one invocation.
Lifespan "auto" starts the MCP session manager for each invocation ("off" fails with
"task group was not initialized").
"""

from __future__ import annotations

from mangum import Mangum
from server import mcp, registration_cap

app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True,
                   middleware=[registration_cap()])
handler = Mangum(app, lifespan="auto")
