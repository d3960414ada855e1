"""Writing documents through the Kano features service (POST, PATCH, DELETE, PUT)."""

from __future__ import annotations

from typing import Any

from tests.api.kano.conftest import CODES, STEPS, Kano

BLOIS = "#K447001001"


def writer(kano: Kano) -> dict[str, str]:
    return {"Authorization": f"Bearer {kano.token('features')}"}


def post(kano: Kano, dataset: str, body: Any, status: int = 201) -> Any:
    response = kano.client.post(f"/api/{dataset}", json=body, headers=writer(kano))
    assert response.status_code == status, response.text
    return response.json()


def test_an_observation_round_trips(kano: Kano) -> None:
    sent = {
        "type": "Feature",
        "time": "2024-01-02T03:04:05.678Z",
        "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
        "properties": {"code_station": "#NEW001", "name": "La Seine à Paris", "H": 0.4},
    }
    created = post(kano, "hubeau-observations", sent)
    assert created["time"] == sent["time"]
    assert created["properties"] == sent["properties"]
    fetched = kano.json(f"/api/hubeau-observations/{created['_id']}")
    for member in ("time", "geometry", "properties"):
        assert fetched[member] == sent[member], member
    station = kano.json("/api/hubeau-stations/%23NEW001")
    assert station["properties"] == {"code_station": "#NEW001", "name": "La Seine à Paris"}


def test_observations_in_bulk_are_one_transaction(kano: Kano) -> None:
    batch = [
        {"time": 1_700_000_000_000 + n * 60_000, "properties": {"code_station": BLOIS, "H": n}}
        for n in range(1000)
    ]
    created = post(kano, "hubeau-observations", batch)
    assert len(created) == 1000
    total = kano.json("/api/hubeau-observations?properties.code_station=%23K447001001&$limit=0")
    assert total["total"] == STEPS + 1000
    broken = [*batch[:5], {"time": "not a time", "properties": {"code_station": BLOIS, "H": 1}}]
    error = post(kano, "hubeau-observations", broken, status=400)
    assert "[5].time" in error["message"]
    again = kano.json("/api/hubeau-observations?properties.code_station=%23K447001001&$limit=0")
    assert again["total"] == STEPS + 1000


def test_writing_the_same_time_again_replaces_the_value(kano: Kano) -> None:
    doc = {"time": "2024-01-01T00:00:00Z", "properties": {"code_station": BLOIS, "H": 1.0}}
    first = post(kano, "hubeau-observations", doc)
    doc["properties"]["H"] = 2.0
    second = post(kano, "hubeau-observations", doc)
    assert first["_id"] == second["_id"]
    assert kano.json(f"/api/hubeau-observations/{first['_id']}")["properties"]["H"] == 2.0


def test_client_ids_and_conflicts(kano: Kano) -> None:
    created = post(kano, "hubeau-stations", {"_id": "gauge-1", "properties": {"name": "G"}})
    assert created["_id"] == "gauge-1"
    conflict = post(kano, "hubeau-stations", {"_id": "gauge-1", "properties": {}}, status=409)
    assert conflict["name"] == "Conflict"
    generated = post(kano, "hubeau-stations", {"properties": {"name": "anonymous"}})
    assert len(generated["_id"]) == 24
    int(generated["_id"], 16)
    too_long = post(kano, "hubeau-stations", {"_id": "x" * 65, "properties": {}}, status=400)
    assert "_id" in too_long["message"]
    keyed = post(kano, "hubeau-stations", {"properties": {"code_station": "#Z1"}})
    assert keyed["_id"] == "#Z1"


def test_a_station_without_geometry_is_listed_with_null(kano: Kano) -> None:
    post(kano, "hubeau-stations", {"_id": "nowhere", "properties": {"name": "Nowhere"}})
    body = kano.json("/api/hubeau-stations?properties.name=Nowhere")
    assert body["features"][0]["geometry"] is None


def test_patch_and_remove_a_station(kano: Kano) -> None:
    headers = writer(kano)
    patched = kano.client.patch(
        "/api/hubeau-stations/%23K447001001",
        json={"properties.name": "Blois"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"] == {"code_station": BLOIS, "name": "Blois"}
    removed = kano.client.delete("/api/hubeau-stations/%23K447001001", headers=headers)
    assert removed.status_code == 200
    assert removed.json()["properties"]["name"] == "Blois"
    kano.json("/api/hubeau-stations/%23K447001001", status=404)
    missing = kano.client.delete("/api/hubeau-stations/%23K447001001", headers=headers)
    assert missing.status_code == 404


def test_patch_and_remove_an_observation(kano: Kano) -> None:
    headers = writer(kano)
    latest = kano.json(
        "/api/hubeau-observations?properties.code_station=%23K447001001&$sort[time]=-1&$limit=1"
    )["features"][0]
    path = f"/api/hubeau-observations/{latest['_id']}"
    patched = kano.client.patch(path, json={"properties.H": 9.5}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert kano.json(path)["properties"]["H"] == 9.5
    refused = kano.client.patch(path, json={"properties.H": "high"}, headers=headers)
    assert refused.status_code == 400
    assert kano.client.delete(path, headers=headers).status_code == 200
    kano.json(path, status=404)


def test_put_and_multi_writes_are_refused(kano: Kano) -> None:
    headers = writer(kano)
    put = kano.client.put("/api/hubeau-stations/%23K447001001", json={}, headers=headers)
    assert (put.status_code, put.json()["name"]) == (405, "MethodNotAllowed")
    assert kano.client.delete("/api/hubeau-stations", headers=headers).status_code == 405
    reader = {"Authorization": f"Bearer {kano.token('features.read')}"}
    assert kano.client.put("/api/hubeau-stations/x", json={}, headers=reader).status_code == 403
    assert kano.json("/api/hubeau-stations")["total"] == len(CODES)


def test_bad_bodies_are_400_and_change_nothing(kano: Kano) -> None:
    for body, named in [
        ({"time": "2024-01-01T00:00:00Z", "properties": {"H": 1}}, "code_station"),
        ({"properties": {"code_station": BLOIS, "H": 1}}, "time"),
        ({"time": "2024-01-01T00:00:00Z", "properties": {"code_station": BLOIS}}, "variable"),
        ({"time": 1, "properties": {"code_station": BLOIS, "H": "x"}}, "properties.H"),
        (
            {"time": 1, "geometry": {"type": "Point"}, "properties": {"code_station": BLOIS}},
            "geometry",
        ),
        ({"time": 1, "runTime": 2, "properties": {"code_station": BLOIS, "H": 1}}, "runTime"),
        ([], "body"),
        ("text", "body"),
    ]:
        error = post(kano, "hubeau-observations", body, status=400)
        assert error["name"] == "BadRequest"
        assert named in error["message"], (body, error["message"])
    station = post(kano, "hubeau-stations", {"time": 1, "properties": {}}, status=400)
    assert "time" in station["message"]
    total = kano.json("/api/hubeau-observations?$limit=0")["total"]
    assert total == STEPS * len(CODES)
