"""`mcpauth doctor`: walk the MCP OAuth flow like a client and name the root cause.

One module per phase (aws, discovery, authorize, login, token), a runner that starts each
step as soon as its inputs exist, and one renderer. Steps never print.
"""
