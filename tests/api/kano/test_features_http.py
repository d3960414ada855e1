"""The Kano features service through the real app, on both backends (spec/kano.md).

The first four tests are the seed's documented requests (seeds/000: the Kano API guide), sent
verbatim apart from host, times and token.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from geoseries.api.app import create_app
from geoseries.geometry import point
from geoseries.model import DatasetSpec, FeatureInput
from geoseries.settings import FeaturesSettings, Settings
from geoseries.store import Store
from geoseries.times import format_time
from tests.api.kano.conftest import (
    CODES,
    STATIONS,
    STEP,
    STEPS,
    T0,
    Kano,
    flow,
    level,
    load_hydrometry,
)

END = T0 + (STEPS - 1) * STEP
ABZAC = "#P726151001"
CAVAILLON = "#X331001001"
BLOIS = "#K447001001"


def iso(ms: int) -> str:
    return format_time(ms)


def codes(features: list[dict[str, Any]]) -> list[str]:
    return [f["properties"]["code_station"] for f in features]


# -- the seed's documented requests ---------------------------------------------------------
def test_seed_request_available_stations(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-stations?south=44.96479793033104&north=45.02695045318546"
        "&west=-0.17578125&east=-0.087890625&jwt=" + kano.token("features.read")
    )
    assert body["type"] == "FeatureCollection"
    assert codes(body["features"]) == [ABZAC]
    assert (body["total"], body["skip"], body["limit"]) == (1, 0, 5000)
    station = body["features"][0]
    assert station["_id"] == ABZAC
    assert station["geometry"] == {
        "type": "Point",
        "coordinates": [-0.12606156299146137, 45.02191991211479],
    }
    assert station["properties"] == {"code_station": ABZAC, "name": "L'Isle à Abzac"}


def test_seed_request_available_observations(kano: Kano) -> None:
    start, end = T0 + 6 * STEP, T0 + 11 * STEP
    body = kano.json(
        f"/api/hubeau-observations?south=44&north=45.5&west=-0.5&east=0.5"
        f"&time[$gte]={iso(start)}&time[$lte]={iso(end)}&$sort[time]=-1"
    )
    times = [f["time"] for f in body["features"]]
    assert times == [iso(T0 + step * STEP) for step in range(11, 5, -1)]
    index = CODES.index(ABZAC)
    first = body["features"][0]
    assert first["properties"] == {
        "code_station": ABZAC,
        "name": "L'Isle à Abzac",
        "H": level(index, 11),
        "Q": flow(index, 11),
    }
    assert first["geometry"]["coordinates"] == [-0.12606156299146137, 45.02191991211479]
    assert len(first["_id"]) == 24
    assert body["total"] == 6


def test_seed_request_observations_at_a_station(kano: Kano) -> None:
    start, end = T0 + 10 * STEP, T0 + 20 * STEP
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        f"&properties.code_station=%23X331001001&time[$gte]={iso(start)}&time[$lte]={iso(end)}"
    )
    assert "total" not in body
    (feature,) = body["features"]
    index = CODES.index(CAVAILLON)
    steps = range(10, 21)
    assert feature["_id"] == {"code_station": CAVAILLON}
    assert feature["type"] == "Feature"
    assert feature["time"] == {"H": [iso(T0 + s * STEP) for s in steps]} | {
        "Q": [iso(T0 + s * STEP) for s in steps]
    }
    assert feature["properties"]["H"] == [level(index, s) for s in steps]
    assert feature["properties"]["Q"] == [flow(index, s) for s in steps]
    assert feature["properties"]["name"] == "La Durance à Cavaillon"
    assert feature["geometry"]["type"] == "Point"


def test_seed_request_latest_observations_at_a_station(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        f"&properties.code_station=%23K447001001&time[$lte]={iso(T0 + 50 * STEP)}"
        "&$limit=1&$sort[time]=-1"
    )
    (feature,) = body["features"]
    index = CODES.index(BLOIS)
    assert feature["time"] == {"H": iso(T0 + 50 * STEP), "Q": iso(T0 + 50 * STEP)}
    assert feature["properties"] == {
        "H": level(index, 50),
        "Q": flow(index, 50),
        "code_station": BLOIS,
        "name": "La Loire à Blois",
    }
    assert isinstance(feature["_id"], str)
    assert kano.json(f"/api/hubeau-observations/{feature['_id']}")["time"] == iso(T0 + 50 * STEP)


# -- aggregation ---------------------------------------------------------------------------
def test_latest_value_of_every_station(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate=H&$limit=1&$sort[time]=-1"
    )
    latest = {f["properties"]["code_station"]: f for f in body["features"]}
    assert sorted(latest) == CODES
    for index, code in enumerate(CODES):
        assert latest[code]["properties"]["H"] == level(index, STEPS - 1)
        assert latest[code]["time"] == {"H": iso(END)}


def test_limit_one_without_sort_gives_the_earliest_value(kano: Kano) -> None:
    body = kano.json("/api/hubeau-observations?$groupBy=code_station&$aggregate[]=Q&$limit=1")
    for feature in body["features"]:
        assert feature["time"] == {"Q": iso(T0)}


def test_aggregating_geometry_gives_a_geometry_collection(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=geometry"
        f"&properties.code_station=%23P726151001&time[$lte]={iso(T0 + 2 * STEP)}"
    )
    (feature,) = body["features"]
    assert feature["geometry"]["type"] == "GeometryCollection"
    assert len(feature["geometry"]["geometries"]) == 3
    assert len(feature["time"]["geometry"]) == 3


# -- plain find ----------------------------------------------------------------------------
def test_pagination_envelope_and_edges(kano: Kano) -> None:
    all_codes = codes(kano.json("/api/hubeau-stations")["features"])
    assert sorted(all_codes) == CODES
    page = kano.json("/api/hubeau-stations?$limit=1&$skip=1&$sort[properties.code_station]=1")
    assert (page["total"], page["skip"], page["limit"]) == (3, 1, 1)
    assert codes(page["features"]) == [CODES[1]]
    count_only = kano.json("/api/hubeau-stations?$limit=0")
    assert (count_only["features"], count_only["total"]) == ([], 3)
    assert kano.json("/api/hubeau-stations?$limit=-2")["limit"] == 2
    assert kano.json("/api/hubeau-stations?$limit=99999")["limit"] == 5000
    beyond = kano.json("/api/hubeau-stations?$skip=10")
    assert (beyond["features"], beyond["total"]) == ([], 3)


def test_sort_descending(kano: Kano) -> None:
    body = kano.json("/api/hubeau-stations?$sort[properties.code_station]=-1")
    assert codes(body["features"]) == sorted(CODES, reverse=True)


def test_equality_on_a_number_and_a_hash_code(kano: Kano) -> None:
    index = CODES.index(CAVAILLON)
    body = kano.json(f"/api/hubeau-observations?properties.H={level(index, 3)}")
    assert [f["time"] for f in body["features"]] == [iso(T0 + 3 * STEP)]
    assert codes(body["features"]) == [CAVAILLON]


def test_in_and_comparison_operators(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-stations?properties.code_station[$in][]=%23X331001001"
        "&properties.code_station[$in][]=%23P726151001"
    )
    assert sorted(codes(body["features"])) == sorted([CAVAILLON, ABZAC])
    index = CODES.index(BLOIS)
    high = kano.json(
        f"/api/hubeau-observations?properties.code_station=%23K447001001"
        f"&properties.H[$gte]={level(index, STEPS - 3)}"
    )
    assert high["total"] == 3


def test_or_of_sub_queries(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-stations?$or[0][properties.code_station]=%23X331001001"
        "&$or[1][properties.name]=La Loire à Blois"
    )
    assert sorted(codes(body["features"])) == sorted([CAVAILLON, BLOIS])


def test_search_ignores_case_and_accents(kano: Kano) -> None:
    body = kano.json("/api/hubeau-stations?properties.name[$search]=isle a abzac")
    assert codes(body["features"]) == [ABZAC]
    body = kano.json("/api/hubeau-stations?properties.name[$search]=DURANCE")
    assert codes(body["features"]) == [CAVAILLON]


def test_distinct(kano: Kano) -> None:
    values = kano.json("/api/hubeau-observations?$distinct=properties.code_station")
    assert sorted(values) == CODES


def test_select_and_plain_array(kano: Kano) -> None:
    body = kano.json("/api/hubeau-stations?$select[]=properties.name&asFeatureCollection=false")
    assert isinstance(body, list)
    assert {f["_id"] for f in body} == set(CODES)
    assert all(f["properties"].keys() == {"name"} for f in body)
    assert all(f["geometry"] is None for f in body)


def test_proximity_sorts_by_distance(kano: Kano) -> None:
    body = kano.json("/api/hubeau-stations?longitude=1.0&latitude=46.0&distance=1000000")
    assert codes(body["features"]) == [ABZAC, BLOIS, CAVAILLON]
    near = kano.json("/api/hubeau-stations?centerLon=1.3&centerLat=47.6&distance=10000")
    assert codes(near["features"]) == [BLOIS]


def test_get_one_and_missing(kano: Kano) -> None:
    station = kano.json("/api/hubeau-stations/%23X331001001")
    assert station["properties"]["name"] == "La Durance à Cavaillon"
    missing = kano.json("/api/hubeau-stations/%23NOPE", status=404)
    assert (missing["name"], missing["code"], missing["errors"]) == ("NotFound", 404, {})
    kano.json("/api/hubeau-observations/" + "0" * 24, status=404)
    kano.json("/api/hubeau-observations/not-an-id", status=404)


# -- errors --------------------------------------------------------------------------------
def test_malformed_queries_are_400_naming_the_parameter(kano: Kano) -> None:
    for query, named in [
        ("properties.H[$foo]=1", "$foo"),
        ("south=1&north=2&west=3", "east"),
        ("south=a&north=2&west=3&east=4", "south"),
        ("time[$gte]=yesterday", "time"),
        ("$limit=ten", "$limit"),
        ("properties.code_station[$in]=x", "$in"),
        ("$sort[time]=up", "$sort"),
        ("properties.code_station[$search]=x", "$search"),
        ("geometry[$near][$maxDistance]=10", "distance"),
    ]:
        body = kano.json(f"/api/hubeau-stations?{query}", status=400)
        assert body["name"] == "BadRequest", query
        assert named in body["message"], (query, body["message"])
        assert body["errors"] == {}


def test_forbidden_group_operator(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=H"
        "&$group[x][$function][body]=1",
        status=403,
    )
    assert body["name"] == "Forbidden"
    assert "$function" in body["message"]


def test_unknown_dataset_is_a_feathers_404(kano: Kano) -> None:
    body = kano.json("/api/nope", status=404)
    assert body["className"] == "not-found"


# -- authentication and permissions -------------------------------------------------------
def test_no_token_is_401_not_authenticated(kano: Kano) -> None:
    response = kano.client.get("/api/hubeau-stations")
    assert response.status_code == 401
    assert response.json()["name"] == "NotAuthenticated"
    assert kano.client.get("/api/hubeau-stations?jwt=garbage").status_code == 401


def test_permissions_per_dataset(kano: Kano) -> None:
    stations_only = kano.token("features.read.hubeau-stations")
    kano.json("/api/hubeau-stations", token=stations_only)
    refused = kano.json("/api/hubeau-observations", token=stations_only, status=403)
    assert refused["message"] == (
        "You are not allowed to perform find operation on hubeau-observations"
    )
    kano.json("/api/hubeau-observations", token=kano.token("features.read"))


def test_read_only_tokens_cannot_write(kano: Kano) -> None:
    reader = {"Authorization": f"Bearer {kano.token('features.read')}"}
    created = kano.client.post("/api/hubeau-stations", json={"properties": {}}, headers=reader)
    assert created.status_code == 403
    assert created.json()["message"].startswith("You are not allowed to perform create")
    removed = kano.client.delete("/api/hubeau-stations/%23X331001001", headers=reader)
    assert removed.status_code == 403
    assert kano.json("/api/hubeau-stations")["total"] == 3


def test_group_accumulators(kano: Kano) -> None:
    index = CODES.index(CAVAILLON)
    body = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=H"
        "&properties.code_station=%23X331001001&$group[maxH][$max]=$properties.H"
        "&$group[last][$max]=$time"
    )
    (feature,) = body["features"]
    assert feature["maxH"] == level(index, STEPS - 1)
    assert feature["last"] == iso(END)
    latest = kano.json(
        "/api/hubeau-observations?$groupBy=code_station&$aggregate[0]=H&$limit=1"
        "&$sort[time]=-1&properties.code_station=%23X331001001&$group[n][$sum]=1"
    )
    assert latest["features"][0]["properties"]["n"] == STEPS


def test_antimeridian_boxes(kano: Kano, app_store: Store) -> None:
    dataset = app_store.create_dataset(DatasetSpec("islands", public=True))
    with app_store.writer() as writer:
        writer.upsert_features(
            dataset,
            [
                FeatureInput("east", point(179.5, -17.0)),
                FeatureInput("west", point(-179.5, -17.0)),
                FeatureInput("greenwich", point(0.0, -17.0)),
            ],
        )
    across = kano.json("/api/islands?south=-20&north=-10&west=179&east=-179")
    assert sorted(f["_id"] for f in across["features"]) == ["east", "west"]
    several = kano.json(
        "/api/islands?south[]=-20&north[]=-10&west[]=179&east[]=180"
        "&south[]=-20&north[]=-10&west[]=-1&east[]=1"
    )
    assert sorted(f["_id"] for f in several["features"]) == ["east", "greenwich"]
    world = kano.json("/api/islands?south=-90&north=90&west=-180&east=180")
    assert world["total"] == 3


def test_compound_group_keys(kano: Kano) -> None:
    body = kano.json(
        "/api/hubeau-observations?$groupBy[]=code_station&$groupBy[]=name&$aggregate[0]=Q"
        f"&time[$lte]={iso(T0 + STEP)}"
    )
    keys = sorted((f["_id"]["code_station"], f["_id"]["name"]) for f in body["features"])
    assert keys == sorted((code, STATIONS[code][0]) for code in CODES)
    assert all(len(f["properties"]["Q"]) == 2 for f in body["features"])


def test_page_limits_come_from_the_settings(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"features": FeaturesSettings(default_limit=1, max_limit=2)}
    )
    with TestClient(create_app(limited)) as client:
        load_hydrometry(client.app.state.store)  # type: ignore[attr-defined]
        tokens = client.app.state.tokens  # type: ignore[attr-defined]
        headers = {
            "Authorization": f"Bearer {tokens.issue_stateless('t', permissions=['features']).token}"
        }
        default = client.get("/api/hubeau-stations", headers=headers).json()
        assert (len(default["features"]), default["limit"], default["total"]) == (1, 1, 3)
        capped = client.get("/api/hubeau-stations?$limit=50", headers=headers).json()
        assert (len(capped["features"]), capped["limit"]) == (2, 2)
