"""Core errors with stable codes.

Every layer raises these; each API dialect maps them to its own status codes and body shape in
one table. The default rendering is SpaceKnow's `{"error": CODE, "errorMessage": ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar


class GeoseriesError(Exception):
    """Base of every error a client may see. `code` is stable and machine-readable."""

    code: ClassVar[str] = "ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(GeoseriesError):
    code = "BAD-REQUEST"


class ValidationFailed(GeoseriesError):
    """A body, query or file failed validation; `field` names the offending part."""

    code = "VALIDATION-ERROR"


class NotFound(GeoseriesError):
    code = "NOT-FOUND"


class EndpointNotFound(NotFound):
    code = "NON-EXISTENT-ENDPOINT"


class MethodNotAllowed(GeoseriesError):
    code = "METHOD-NOT-ALLOWED"


class Conflict(GeoseriesError):
    code = "CONFLICT"


class PayloadTooLarge(GeoseriesError):
    code = "PAYLOAD-TOO-LARGE"


class NotAuthenticated(GeoseriesError):
    code = "NOT-AUTHORIZED"


class Forbidden(GeoseriesError):
    code = "ACCESS-DENIED"


class RateLimited(GeoseriesError):
    """The caller sent too many requests; `retry_after` is how many seconds to wait, if known."""

    code = "TOO-MANY-REQUESTS"

    def __init__(
        self, message: str, *, retry_after: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unavailable(GeoseriesError):
    """A dependency (database, broker) cannot be reached right now; the client may retry."""

    code = "UNAVAILABLE"


class InputRowError(ValidationFailed):
    """One record of an imported file or batch is invalid; `line` is 1-based.

    `unit` says what `line` counts: lines of a CSV or NDJSON file, features of a GeoJSON file.
    """

    def __init__(
        self, line: int, message: str, *, field: str | None = None, unit: str = "line"
    ) -> None:
        super().__init__(f"{unit} {line}: {message}", field=field)
        self.line = line
        self.unit = unit


class InvalidItems(BadRequest):
    """Several items of a request are invalid; `problems` maps each (a path such as
    `data[2].recorded_at`) to what is wrong with it, so a client can fix them all at once."""

    def __init__(self, message: str, problems: Mapping[str, Sequence[str]]) -> None:
        super().__init__(message)
        self.problems = {path: list(reasons) for path, reasons in problems.items()}
