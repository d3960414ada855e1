"""`import_file` on both backends: every format, atomicity, idempotence, line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from geoseries.errors import InputRowError, ValidationFailed
from geoseries.ingest.batches import BATCH_SIZE
from geoseries.ingest.files import import_file
from geoseries.model import Dataset, DatasetKind, DatasetSpec
from geoseries.query.export import export_dataset
from geoseries.store import Store

STATION = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [-0.126, 45.021]},
    "properties": {"code_station": "#P726151001", "name": "L'Isle à Abzac"},
}


@pytest.fixture
def stations(store: Store) -> Dataset:
    return store.create_dataset(DatasetSpec("stations", feature_id="code_station", label="name"))


@pytest.fixture
def observations(store: Store, stations: Dataset) -> Dataset:
    spec = DatasetSpec(
        "observations",
        kind=DatasetKind.OBSERVATIONS,
        feature_id="code_station",
        variables=("H", "Q"),
        stations="stations",
    )
    return store.create_dataset(spec)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_geojson_stations_import(store: Store, stations: Dataset, tmp_path: Path) -> None:
    second = {**STATION, "properties": {"code_station": "#X2", "name": "B"}, "geometry": None}
    path = tmp_path / "stations.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [STATION, second]}))
    report = import_file(store, stations, path)
    assert (report.records, report.features) == (2, 2)
    features = {f.key: f for f in store.iter_features(stations)}
    assert features["#P726151001"].geometry == STATION["geometry"]
    assert features["#P726151001"].properties["name"] == "L'Isle à Abzac"
    assert features["#X2"].geometry is None


def test_csv_stations_with_lon_lat(store: Store, stations: Dataset, tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "code_station,name,lon,lat\n#A,Alpha,1.5,2.5\n#B,Beta,,\n")
    assert import_file(store, stations, path).features == 2
    features = {f.key: f for f in store.iter_features(stations)}
    assert features["#A"].geometry == {"type": "Point", "coordinates": [1.5, 2.5]}
    assert features["#A"].properties == {"code_station": "#A", "name": "Alpha"}
    assert features["#B"].geometry is None


def test_csv_observations_wide_and_long(
    store: Store, observations: Dataset, tmp_path: Path
) -> None:
    wide = write(
        tmp_path / "w.csv",
        "code_station,time,H,Q\n#A,2023-06-20T09:20:00Z,0.4,12\n#A,2023-06-20T09:30:00Z,0.5,\n",
    )
    long = write(
        tmp_path / "l.csv", "code_station,time,variable,value\n#B,2023-06-20T09:20:00Z,H,1.25\n"
    )
    assert import_file(store, observations, wide).observations == 3
    assert import_file(store, observations, long).observations == 1
    rows = [
        (r.feature_key, r.variable, r.time, r.value) for r in store.iter_observations(observations)
    ]
    assert rows == [
        ("#A", "H", 1687252800000, 0.4),
        ("#A", "H", 1687253400000, 0.5),
        ("#A", "Q", 1687252800000, 12.0),
        ("#B", "H", 1687252800000, 1.25),
    ]
    # unknown stations became features (without geometry) of the stations dataset
    assert {f.key for f in store.iter_features(store.get_dataset("stations"))} == {"#A", "#B"}


def test_ndjson_and_geojson_observations(
    store: Store, observations: Dataset, tmp_path: Path
) -> None:
    ndjson = write(
        tmp_path / "o.ndjson",
        (
            '{"code_station": "#A", "time": "2023-06-20T09:20:00Z", "H": 1}\n\n'
            '{"code_station": "#A", "time": 1000, "Q": 2}\n'
        ),
    )
    kano = {
        **STATION,
        "time": "2020-07-31T07:30:00.000Z",
        "properties": {**STATION["properties"], "H": 0.397},
    }
    geojson = tmp_path / "o.geojson"
    geojson.write_bytes(orjson.dumps([kano]))
    assert import_file(store, observations, ndjson).observations == 2
    assert import_file(store, observations, geojson).observations == 1
    assert store.count_observations(observations) == 3


def test_reimport_is_idempotent_and_last_write_wins(
    store: Store, observations: Dataset, tmp_path: Path
) -> None:
    path = write(tmp_path / "o.csv", "code_station,time,H\n#A,1000,1\n#A,1000,2\n")
    import_file(store, observations, path)
    import_file(store, observations, path)
    assert [r.value for r in store.iter_observations(observations)] == [2.0]


@pytest.mark.parametrize(
    ("name", "content", "line", "fragment"),
    [
        ("bad.csv", "code_station,time,H\n#A,1000,1\n#A,later,1\n", 3, "time"),
        ("bad.csv", "code_station,time,H\n#A,1000,1\n#A,1000,nan\n", 3, "finite number"),
        ("bad.csv", "code_station,time,H\n#A,1000,1\n#A,1000\n", 3, "expected 3 columns"),
        ("bad.csv", "code_station,time,H\n,1000,1\n", 2, "code_station"),
        ("bad.csv", "code_station,time,variable,value\n#A,1000,,1\n", 2, "missing variable"),
        (
            "bad.ndjson",
            '{"code_station": "#A", "time": 1, "H": 1}\n{"code_station": \n',
            2,
            "invalid JSON",
        ),
        ("bad.ndjson", '{"code_station": "#A", "time": 1, "H": 1}\n[1]\n', 2, "JSON object"),
        (
            "bad.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}}]}',
            1,
            "time",
        ),
        ("bad.geojson", '{"type": "FeatureCollection", "features": [1]}', 1, "JSON object"),
        ("bad.geojson", '{"type": "FeatureCollection", "features": [{"a": ', 1, "invalid JSON"),
    ],
)
def test_a_bad_record_aborts_the_whole_import(
    store: Store,
    observations: Dataset,
    tmp_path: Path,
    name: str,
    content: str,
    line: int,
    fragment: str,
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(InputRowError) as caught:
        import_file(store, observations, path)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert store.count_observations(observations) == 0
    assert store.count_features(store.get_dataset("stations")) == 0


def test_a_bad_row_after_many_batches_leaves_nothing(
    store: Store, observations: Dataset, tmp_path: Path
) -> None:
    lines = [f"#S{i % 7},{1000 + i},{i}" for i in range(25_000)]
    path = write(
        tmp_path / "big.csv", "code_station,time,H\n" + "\n".join(lines) + "\n#S1,1,oops\n"
    )
    with pytest.raises(InputRowError) as caught:
        import_file(store, observations, path)
    assert caught.value.line == 25_002
    assert store.count_observations(observations) == 0


def test_bad_header_and_format(
    store: Store, observations: Dataset, stations: Dataset, tmp_path: Path
) -> None:
    with pytest.raises(InputRowError, match="no 'time' column"):
        import_file(store, observations, write(tmp_path / "a.csv", "code_station,H\n#A,1\n"))
    with pytest.raises(InputRowError, match="no variable column"):
        import_file(store, observations, write(tmp_path / "b.csv", "code_station,time\n#A,1\n"))
    with pytest.raises(InputRowError, match="empty"):
        import_file(store, observations, write(tmp_path / "c.csv", ""))
    with pytest.raises(ValidationFailed, match="cannot tell the format"):
        import_file(store, observations, write(tmp_path / "d.xlsx", "x"))
    with pytest.raises(InputRowError, match="line 2: missing feature key"):
        import_file(store, stations, write(tmp_path / "e.csv", "name\nA\n"))
    with pytest.raises(InputRowError, match="feature 1: "):
        import_file(
            store,
            stations,
            write(tmp_path / "f.geojson", '[{"type": "Feature", "properties": {}}]'),
        )


def test_progress_reaches_the_file_size(
    store: Store, observations: Dataset, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "o.csv",
        "code_station,time,H\n" + "".join(f"#A,{t},1\n" for t in range(2 * BATCH_SIZE + 1)),
    )
    seen: list[tuple[int, int]] = []
    import_file(store, observations, path, progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert seen[-1] == (size, size)
    assert len(seen) >= 3
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize("file_format", ["csv", "ndjson", "geojson"])
def test_export_reads_back_identically(
    store: Store, observations: Dataset, tmp_path: Path, file_format: str
) -> None:
    source = write(
        tmp_path / "o.csv", "code_station,time,H,Q\n#A,1000,1.5,2\n#B,2000,-3,\n#A,3000,4,5\n"
    )
    import_file(store, observations, source)
    exported = tmp_path / f"export.{file_format}"
    exported.write_bytes(b"".join(export_dataset(store, observations, file_format)))  # type: ignore[arg-type]
    before = list(store.iter_observations(observations))
    store.delete_dataset("observations")
    spec = DatasetSpec(
        "again", kind=DatasetKind.OBSERVATIONS, feature_id="code_station", stations="stations"
    )
    again = store.create_dataset(spec)
    import_file(store, again, exported)
    assert list(store.iter_observations(again)) == before


def test_export_time_window_and_features(
    store: Store, observations: Dataset, stations: Dataset, tmp_path: Path
) -> None:
    import_file(
        store,
        observations,
        write(tmp_path / "o.csv", "code_station,time,H\n#A,1000,1\n#A,2000,2\n#A,3000,3\n"),
    )
    csv_text = b"".join(export_dataset(store, observations, "csv", start=2000, end=3000)).decode()
    assert csv_text.splitlines() == [
        "code_station,variable,time,value",
        "#A,H,1970-01-01T00:00:02.000Z,2.0",
    ]
    import_file(store, stations, write(tmp_path / "s.csv", "code_station,lon,lat\n#A,1,2\n"))
    collection = orjson.loads(b"".join(export_dataset(store, stations, "geojson")))
    assert collection["features"][0]["properties"]["code_station"] == "#A"
    assert collection["features"][0]["geometry"]["coordinates"] == [1.0, 2.0]
    with pytest.raises(ValidationFailed, match="not csv"):
        export_dataset(store, stations, "csv")
