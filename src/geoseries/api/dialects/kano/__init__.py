"""The Kano / KDK features dialect (spec/kano.md): `/api/<dataset>[/<id>]`, Feathers errors."""

from __future__ import annotations

from geoseries.api.dialects.kano.errors import render_error

PREFIXES = ("/api",)

__all__ = ["PREFIXES", "render_error"]
