"""Command bodies: glue between the CLI and the layers below (no argument parsing)."""
