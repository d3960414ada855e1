"""Streaming encoders: results become byte chunks as they are read, never whole documents."""
