"""Table definitions for SQLAlchemy Core queries.

The migrations in `migrations/versions/` create these tables; this module only describes them so
queries can be written once for both backends. Times are integer milliseconds since the epoch
(UTC); JSON columns hold JSON text on SQLite and `jsonb` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSON text on SQLite, jsonb on PostgreSQL.
Json = JSON().with_variant(JSONB(), "postgresql")
# Integer keys that autoincrement on both backends (SQLite only does so for INTEGER PRIMARY KEY).
Id = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _created() -> Column[int]:
    return Column("created_at", BigInteger, nullable=False)


organizations = Table(
    "organizations",
    metadata,
    _id(),
    Column("name", String(120), nullable=False, unique=True),
    _created(),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("permissions", Json, nullable=False),
    Column("is_admin", Boolean, nullable=False),
    _created(),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(8), nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    _created(),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(255), primary_key=True),
    Column("revoked_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
)

datasets = Table(
    "datasets",
    metadata,
    _id(),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("feature_id", String(120), nullable=True),
    Column("label", String(120), nullable=True),
    Column("variables", Json, nullable=False),
    Column(
        "stations_dataset_id", Id, ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    ),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    ),
    Column("public", Boolean, nullable=False),
    _created(),
)

dataset_shares = Table(
    "dataset_shares",
    metadata,
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    ),
    _created(),
)

collections = Table(
    "collections",
    metadata,
    _id(),
    Column("name", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=True),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    ),
    _created(),
)

collection_datasets = Table(
    "collection_datasets",
    metadata,
    Column("collection_id", Id, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
)

ID_VALUE_LENGTH = 255
"""The longest `featureId` value kept in `features.id_value` (longer ones are left NULL)."""


def id_value(properties: Mapping[str, Any], id_property: str | None) -> str | None:
    """What `features.id_value` holds: the feature's `id_property` (its dataset's `featureId`)
    when that is a string of at most ID_VALUE_LENGTH characters, else NULL. Every write of a
    feature keeps it, so filters and groups on that property read an indexed column instead of
    the JSON; where it is NULL they read the JSON as for any other property."""
    if id_property is None:
        return None
    value = properties.get(id_property)
    if isinstance(value, str) and len(value) <= ID_VALUE_LENGTH and "\x00" not in value:
        return value
    return None


features = Table(
    "features",
    metadata,
    _id(),
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("geometry", Json, nullable=True),
    Column("properties", Json, nullable=False),
    Column("id_value", String(ID_VALUE_LENGTH), nullable=True),
    Column("min_lon", Float, nullable=True),
    Column("min_lat", Float, nullable=True),
    Column("max_lon", Float, nullable=True),
    Column("max_lat", Float, nullable=True),
    _created(),
    Column("updated_at", BigInteger, nullable=False),
)

series = Table(
    "series",
    metadata,
    _id(),
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("feature_id", Id, ForeignKey("features.id", ondelete="CASCADE"), nullable=False),
    Column("variable", String(120), nullable=False),
    Column("unit", String(60), nullable=True),
)

dataset_variables = Table(
    "dataset_variables",
    metadata,
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column("variable", String(120), primary_key=True),
)
"""Every variable a dataset has had series of: kept with the series by the writer, read with
the dataset (so a query knows which properties are observed values without scanning series).
It never shrinks: a variable whose series are gone reads as unobserved, which it is."""

observations = Table(
    "observations",
    metadata,
    Column("series_id", Id, primary_key=True),
    Column("time", BigInteger, primary_key=True),
    Column("value", Float, nullable=False),
    Column("raw_value", Float, nullable=True),
    sqlite_with_rowid=False,
)

measurements = Table(
    "measurements",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("unit", String(60), nullable=True),
    Column("definition", Text, nullable=True),
)

sensors = Table(
    "sensors",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("unit", String(60), nullable=True),
    Column("default_key", String(60), nullable=True),
    Column("equation", Text, nullable=True),
    Column("reverse_equation", Text, nullable=True),
    Column("parent_id", Id, ForeignKey("sensors.id", ondelete="SET NULL"), nullable=True),
    Column("measurement_id", Id, ForeignKey("measurements.id", ondelete="SET NULL"), nullable=True),
)

devices = Table(
    "devices",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("feature_id", Id, ForeignKey("features.id", ondelete="CASCADE"), nullable=False),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("token_prefix", String(8), nullable=True),
    Column("is_private", Boolean, nullable=False),
    Column("meta", Json, nullable=False),
    Column("last_reading_at", BigInteger, nullable=True),
    _created(),
)

components = Table(
    "components",
    metadata,
    _id(),
    Column("device_id", Id, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("sensor_id", Id, ForeignKey("sensors.id", ondelete="CASCADE"), nullable=False),
    Column("series_id", Id, ForeignKey("series.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(60), nullable=False),
    Column("last_reading_at", BigInteger, nullable=True),
)

stats = Table(
    "stats",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("type", String(120), nullable=False),
    Column("anr", String(36), nullable=True),
    Column("day", Integer, nullable=True),
    Column("week", Integer, nullable=True),
    Column("month", Integer, nullable=True),
    Column("quarter", Integer, nullable=True),
    Column("year", Integer, nullable=True),
    Column("data", Json, nullable=False),
    _created(),
    Column("updated_at", BigInteger, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    _id(),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("kind", String(60), nullable=False),
    Column("status", String(16), nullable=False),
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    ),
    Column("params", Json, nullable=False),
    Column("progress", Json, nullable=True),
    Column("result", Json, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("claimed_until", BigInteger, nullable=True),
    _created(),
    Column("updated_at", BigInteger, nullable=False),
)

files = Table(
    "files",
    metadata,
    _id(),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=True),
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    Column("path", Text, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(120), nullable=False),
    Column("size", BigInteger, nullable=False),
    _created(),
)

ingest_errors = Table(
    "ingest_errors",
    metadata,
    _id(),
    Column("dataset_id", Id, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=True),
    Column("device_id", Id, ForeignKey("devices.id", ondelete="CASCADE"), nullable=True),
    Column("topic", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("error", Text, nullable=False),
    _created(),
)

Index("features_dataset_key", features.c.dataset_id, features.c.key, unique=True)
Index(
    "features_id_value",
    features.c.id_value,
    sqlite_where=features.c.id_value.is_not(None),
    postgresql_where=features.c.id_value.is_not(None),
)
Index(
    "series_feature_variable",
    series.c.dataset_id,
    series.c.feature_id,
    series.c.variable,
    unique=True,
)
Index("api_keys_organization", api_keys.c.organization_id)
Index("users_organization", users.c.organization_id)
Index("dataset_shares_organization", dataset_shares.c.organization_id)
Index("devices_owner", devices.c.owner_id)
Index("sensors_default_key", sensors.c.default_key, unique=True)
Index("components_device_sensor", components.c.device_id, components.c.sensor_id, unique=True)
Index("components_device_key", components.c.device_id, components.c.key, unique=True)
Index("stats_organization_created", stats.c.organization_id, stats.c.created_at)
Index("jobs_status", jobs.c.status, jobs.c.claimed_until)
Index("ingest_errors_device", ingest_errors.c.device_id, ingest_errors.c.created_at)

# Created by the migrations on SQLite only: the R*Tree over feature bounds, kept in step with
# `features` by triggers. Described here so queries can use it.
sqlite_only = MetaData()
features_rtree = Table(
    "features_rtree",
    sqlite_only,
    Column("id", Integer, primary_key=True),
    Column("min_lon", Float),
    Column("max_lon", Float),
    Column("min_lat", Float),
    Column("max_lat", Float),
)
