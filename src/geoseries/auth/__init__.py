"""Credentials -> Principal: API keys, passwords, tokens, the permission test."""
