"""Spec → Plan → apply: every change mcpauth makes in AWS goes through here."""
