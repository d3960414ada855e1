"""Real PostgreSQL + PostGIS and Mosquitto servers for the tests, started on loopback.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` system user (via `runuser`) in a temporary directory that user owns.
"""

from __future__ import annotations


class ServiceUnavailable(Exception):
    """The binaries are missing or the service would not start."""
