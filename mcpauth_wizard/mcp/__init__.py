"""MCP itself: the client registry (what each MCP client sends), the few MCP calls mcpauth makes, FastMCP's OAuth proxy."""
