"""Reading one input record (a GeoJSON feature or a flat row) as features or observations.

The same rules serve file import, HTTP batches and MQTT payloads:

- A dataset of stations, devices or assets takes features. The key is the property named by the
  dataset's `featureId` (else the feature's `id`/`_id`, or an `id` column); geometry comes from
  the GeoJSON `geometry`, or from `lon`/`lat` (`longitude`/`latitude`) columns.
- A dataset of observations takes values at a time: `time` (ISO 8601, naive = UTC, or epoch
  milliseconds), the feature key, and either `variable` + `value` columns (long form) or one
  column per variable (wide form: the dataset's declared variables, else every numeric field).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from geoseries.errors import InputRowError, ValidationFailed
from geoseries.geometry import geometry_bounds, point
from geoseries.model import Dataset, FeatureInput, JSONObject
from geoseries.times import EARLIEST, LATEST, parse_time

ObservationTuple = tuple[str, str, int, float]
"""(feature key, variable, time in ms, value)."""

LON_COLUMNS = ("lon", "longitude", "lng")
LAT_COLUMNS = ("lat", "latitude")
RESERVED = frozenset({"time", "geometry", "type", "id", "_id", "variable", "value", "feature"})


def number(value: Any) -> float | None:
    """A finite float from a number or numeric text; None when it is not one."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, int | float | str):
        return None
    try:
        result = float(value)
    except (ValueError, OverflowError):  # not numeric text; an integer beyond any double
        return None
    return result if math.isfinite(result) else None


class RecordReader:
    """Reads records for one dataset.

    Errors cite the record's number in the caller's `unit`: the line of a CSV or NDJSON file,
    the feature of a GeoJSON file, the record of a JSON array.
    """

    def __init__(self, dataset: Dataset, *, unit: str = "line") -> None:
        self.dataset = dataset
        self.key_field = dataset.feature_id
        self.unit = unit

    def _error(self, line: int, message: str, field: str | None = None) -> InputRowError:
        return InputRowError(line, message, field=field, unit=self.unit)

    # -- features --------------------------------------------------------------------------
    def feature(self, record: Mapping[str, Any], line: int) -> FeatureInput:
        if record.get("type") == "Feature":
            return self._geojson_feature(record, line)
        properties = {k: v for k, v in record.items() if v not in ("", None)}
        key = self._flat_key(properties, line, fallback="id")
        geometry = self._flat_geometry(properties, line)
        for column in (*LON_COLUMNS, *LAT_COLUMNS, "geometry"):
            properties.pop(column, None)
        if self.key_field is None:
            properties.pop("id", None)
        return FeatureInput(key=key, geometry=geometry, properties=properties)

    def _geojson_feature(self, record: Mapping[str, Any], line: int) -> FeatureInput:
        properties = record.get("properties") or {}
        if not isinstance(properties, dict):
            raise self._error(line, "properties must be an object", field="properties")
        geometry = record.get("geometry")
        if geometry is not None:
            self._check_geometry(geometry, line)
        if self.key_field is not None:
            key = properties.get(self.key_field)
            field = f"properties.{self.key_field}"
        else:
            key = record.get("id", record.get("_id"))
            field = "id"
        if key is None or key == "":
            raise self._error(line, f"missing feature key {field}", field=field)
        return FeatureInput(key=str(key), geometry=geometry, properties=dict(properties))

    def _flat_key(self, record: Mapping[str, Any], line: int, *, fallback: str) -> str:
        field = self.key_field or fallback
        key = record.get(field)
        if key is None or key == "":
            raise self._error(line, f"missing feature key column {field!r}", field=field)
        return str(key)

    def _flat_geometry(self, record: Mapping[str, Any], line: int) -> JSONObject | None:
        geometry = record.get("geometry")
        if isinstance(geometry, dict):
            self._check_geometry(geometry, line)
            return geometry
        lon = next((record[c] for c in LON_COLUMNS if c in record), None)
        lat = next((record[c] for c in LAT_COLUMNS if c in record), None)
        if lon is None and lat is None:
            return None
        lon_value, lat_value = number(lon), number(lat)
        if lon_value is None or lat_value is None:
            raise self._error(
                line, f"longitude/latitude must be numbers, got {lon!r}, {lat!r}", field="lon"
            )
        geometry = point(lon_value, lat_value)
        self._check_geometry(geometry, line)
        return geometry

    # -- observations ----------------------------------------------------------------------
    def observations(self, record: Mapping[str, Any], line: int) -> Iterator[ObservationTuple]:
        """The observations one record carries (a GeoJSON feature or a flat row)."""
        if record.get("type") == "Feature":
            properties = record.get("properties") or {}
            if not isinstance(properties, dict):
                raise self._error(line, "properties must be an object", field="properties")
            when = record.get("time", properties.get("time"))
            fields: Mapping[str, Any] = properties
        else:
            when = record.get("time")
            fields = record
        time = self._time(when, line)
        key = self._flat_key(fields, line, fallback="feature")
        if "variable" in fields and "value" in fields:
            variable = fields["variable"]
            if not isinstance(variable, str) or not variable:
                raise self._error(line, "missing variable", field="variable")
            yield key, variable, time, self._value(fields["value"], line, "value")
            return
        for variable, value in self._wide_values(fields):
            yield key, variable, time, self._value(value, line, variable)

    def _wide_values(self, fields: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        if self.dataset.variables:
            for variable in self.dataset.variables:
                value = fields.get(variable)
                if value is not None and value != "":
                    yield variable, value
            return
        skip = RESERVED | {self.key_field, self.dataset.label}
        for name, value in fields.items():
            if name not in skip and number(value) is not None:
                yield name, value

    def _time(self, value: Any, line: int) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if not EARLIEST <= value <= LATEST:
                raise self._error(line, f"time {value} falls outside years 1-9999", field="time")
            return value
        if not isinstance(value, str) or not value:
            raise self._error(line, "missing time", field="time")
        try:
            return parse_time(value)
        except (ValueError, OverflowError) as error:
            raise self._error(
                line, f"time {value!r} is not ISO 8601 or epoch milliseconds", field="time"
            ) from error

    def _value(self, value: Any, line: int, field: str) -> float:
        result = number(value)
        if result is None:
            raise self._error(line, f"{field} must be a finite number, got {value!r}", field=field)
        return result

    def _check_geometry(self, geometry: Any, line: int) -> None:
        try:
            geometry_bounds(geometry)
        except ValidationFailed as error:
            raise self._error(line, error.message, field="geometry") from error
