from __future__ import annotations

import pytest

from geoseries.errors import InputRowError
from geoseries.ingest.records import RecordReader, number
from geoseries.model import Dataset, DatasetKind

POINT = {"type": "Point", "coordinates": [-0.12, 45.02]}


def dataset(kind: DatasetKind = DatasetKind.STATIONS, **options: object) -> Dataset:
    values: dict[str, object] = {
        "id": 1,
        "name": "d",
        "kind": kind,
        "feature_id": None,
        "label": None,
        "variables": (),
        "stations_dataset_id": None,
        "organization_id": None,
        "public": False,
        "created_at": 0,
    }
    values.update(options)
    return Dataset(**values)  # type: ignore[arg-type]


def test_number_accepts_finite_numbers_and_numeric_text_only() -> None:
    assert number(1) == 1.0
    assert number("0.397") == 0.397
    assert number(" 2 ") == 2.0
    for junk in (True, None, "abc", "nan", "inf", float("nan"), [], {}):
        assert number(junk) is None


def test_geojson_feature_keyed_by_feature_id() -> None:
    reader = RecordReader(dataset(feature_id="code_station"))
    record = {
        "type": "Feature",
        "geometry": POINT,
        "properties": {"code_station": "#X1", "name": "A"},
    }
    feature = reader.feature(record, 1)
    assert (feature.key, feature.geometry, feature.properties["name"]) == ("#X1", POINT, "A")


def test_geojson_feature_keyed_by_its_id_without_feature_id() -> None:
    feature = RecordReader(dataset()).feature({"type": "Feature", "id": 7, "geometry": None}, 1)
    assert (feature.key, feature.geometry, feature.properties) == ("7", None, {})


def test_flat_row_with_lon_lat_becomes_a_point() -> None:
    reader = RecordReader(dataset(feature_id="code"))
    feature = reader.feature({"code": "A", "lon": "1.5", "lat": "2.5", "name": "x"}, 3)
    assert feature.geometry == {"type": "Point", "coordinates": [1.5, 2.5]}
    assert feature.properties == {"code": "A", "name": "x"}


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"type": "Feature", "geometry": POINT, "properties": {}}, "properties.code"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [500, 0]},
                "properties": {"code": "A"},
            },
            "geometry",
        ),
        ({"type": "Feature", "geometry": POINT, "properties": [1]}, "properties"),
        ({"code": "A", "lon": "east", "lat": "1"}, "lon"),
        ({"lon": "1", "lat": "1"}, "code"),
    ],
)
def test_bad_features_name_the_field_and_line(record: dict[str, object], field: str) -> None:
    with pytest.raises(InputRowError) as caught:
        RecordReader(dataset(feature_id="code")).feature(record, 42)
    assert caught.value.field == field
    assert caught.value.message.startswith("line 42: ")


def test_observations_wide_form_uses_declared_variables() -> None:
    reader = RecordReader(
        dataset(DatasetKind.OBSERVATIONS, feature_id="code_station", variables=("H", "Q"))
    )
    record = {
        "code_station": "#X1",
        "time": "2023-06-20T09:20:00Z",
        "H": "0.4",
        "Q": "",
        "other": "7",
    }
    assert list(reader.observations(record, 1)) == [("#X1", "H", 1687252800000, 0.4)]


def test_observations_wide_form_without_declared_variables_takes_numeric_fields() -> None:
    reader = RecordReader(dataset(DatasetKind.OBSERVATIONS, feature_id="code", label="name"))
    record = {"code": "A", "time": 5, "name": "Somewhere", "H": 1, "note": "text"}
    assert list(reader.observations(record, 1)) == [("A", "H", 5, 1.0)]


def test_observations_long_form_and_kano_feature() -> None:
    reader = RecordReader(dataset(DatasetKind.OBSERVATIONS, feature_id="code_station"))
    long_row = {"code_station": "A", "time": "1000", "variable": "H", "value": "2"}
    assert list(reader.observations(long_row, 1)) == [("A", "H", 1000, 2.0)]
    kano = {
        "type": "Feature",
        "time": "2020-07-31T07:30:00.000Z",
        "geometry": POINT,
        "properties": {"name": "L'Isle à Abzac", "code_station": "#P726151001", "H": 0.397},
    }
    assert list(reader.observations(kano, 1)) == [("#P726151001", "H", 1596180600000, 0.397)]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"feature": "A", "H": 1}, "time"),
        ({"feature": "A", "time": "soon", "H": 1}, "time"),
        ({"feature": "", "time": "1", "H": 1}, "feature"),
        ({"feature": "A", "time": "1", "variable": "H", "value": "high"}, "value"),
        ({"feature": "A", "time": "1", "variable": "", "value": "1"}, "variable"),
        ({"type": "Feature", "time": "1", "properties": "x"}, "properties"),
    ],
)
def test_bad_observations_name_the_field(record: dict[str, object], field: str) -> None:
    with pytest.raises(InputRowError) as caught:
        list(RecordReader(dataset(DatasetKind.OBSERVATIONS)).observations(record, 9))
    assert caught.value.field == field
    assert caught.value.line == 9


def test_declared_variable_with_text_value_is_an_error() -> None:
    reader = RecordReader(dataset(DatasetKind.OBSERVATIONS, variables=("H",)))
    with pytest.raises(InputRowError, match="H must be a finite number"):
        list(reader.observations({"feature": "A", "time": "1", "H": "n/a"}, 2))
