"""Translate driver errors into core errors at the store boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from geoseries.errors import Conflict, GeoseriesError, Unavailable, ValidationFailed


@contextmanager
def translated(conflict: str = "the object already exists") -> Iterator[None]:
    """Run a block, turning SQLAlchemy/driver errors into Conflict, ValidationFailed or Unavailable.

    `conflict` is the message for a uniqueness violation, phrased for the caller's object.
    """
    try:
        yield
    except GeoseriesError:
        raise
    except exc.IntegrityError as error:
        raise Conflict(conflict) from error
    except exc.DataError as error:
        raise ValidationFailed(f"value rejected by the database: {error.orig}") from error
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise Unavailable(f"database unavailable: {error.orig or error}") from error
    except exc.TimeoutError as error:
        raise Unavailable(f"database busy: {error}") from error
