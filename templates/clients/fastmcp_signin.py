"""Sign in to an MCP server with FastMCP's Client (PyPI `fastmcp` 4.2) and a pre-registered
Cognito app client, then list its tools. Made by `mcpauth show`.

    pip install "fastmcp>=4.2,<4.3"
    python signin.py

OAuth(client_id=…) skips dynamic registration; callback_port pins the redirect URI
http://localhost:PORT/callback, which is registered on the app client."""

import asyncio
import os

from fastmcp import Client
from fastmcp.client.auth import OAuth

MCP_URL = "__MCP_URL__"
auth = OAuth(
    client_id="__CLIENT_ID__",
    client_secret=os.environ.get("MCP_CLIENT_SECRET"),  # __SECRET_NOTE__
    scopes="__SCOPE__".split(),
    callback_port=int("__PORT__"),
)


async def main() -> None:
    async with Client(MCP_URL, auth=auth) as client:
        tools = await client.list_tools()
        print("tools:", ", ".join(t.name for t in tools))


if __name__ == "__main__":
    asyncio.run(main())
