"""SpaceKnow mechanics (spec §B): the password grant at `/oauth/token`.

Its errors keep the Geoseries default body `{error, errorMessage}` (api/errors.py).
"""

from __future__ import annotations

from geoseries.api.dialects.spaceknow.routes import router

__all__ = ["router"]
