"""mcpauth: set up and diagnose OAuth sign-in for remote MCP servers on AWS."""

__version__ = "0.1.0"
