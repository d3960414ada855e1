"""No Kano query string, however malformed, makes the server fail (DECISIONS.md: never a 5xx).

Hypothesis builds query strings from the dialect's own vocabulary (fields, operators, shortcut
names, odd values) so most of them reach deep into parsing and SQL, on both backends; every
answer must be a success or a Feathers 4xx.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.kano.conftest import Kano

FIELDS = [
    "time",
    "_id",
    "type",
    "level",
    "geometry.type",
    "properties.H",
    "properties.Q",
    "properties.name",
    "properties.code_station",
    "properties.a.b",
    "properties.a%00b",
    "properties.q%22uote",
]
OPERATORS = [
    "",
    "[$in][]",
    "[$nin][]",
    "[$in]",
    "[$lt]",
    "[$lte]",
    "[$gt]",
    "[$gte]",
    "[$ne]",
    "[$eq]",
    "[$exists]",
    "[$regex]",
    "[$search]",
    "[$caseSensitive]",
    "[$not][$gt]",
    "[$foo]",
    "[$elemMatch][x]",
]
SPECIAL = [
    "$limit",
    "$skip",
    "$sort[time]",
    "$sort[properties.H]",
    "$select[]",
    "$distinct",
    "$aggregate[]",
    "$aggregate",
    "$groupBy",
    "$group[m][$max]",
    "$group[m][$function]",
    "south",
    "north",
    "west",
    "east",
    "south[]",
    "longitude",
    "latitude",
    "distance",
    "centerLon",
    "geometry[$near][$maxDistance]",
    "geometry[$geoWithin][$centerSphere][0][]",
    "$or[0][properties.H]",
    "$and[1][time][$gt]",
    "asFeatureCollection",
    "$aggregation[x]",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "1e308",
            "1e999",
            "NaN",
            "-inf",
            "0x1F",
            "true",
            "false",
            "2023-06-20T09:20:00Z",
            "2023-06-20",
            "9999-12-31T23:59:59Z",
            "H",
            "Q",
            "geometry",
            "code_station",
            "%23X331001001",
            "(",
            "[a-",
            ".*",
            "%00",
            "%FF",
            "é",
            "180.5",
            "-91",
            "99999999999999999999999",
        ]
    ),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
)
PARAMETER = st.one_of(
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(OPERATORS)).map("".join),
    st.sampled_from(SPECIAL),
)
QUERY = st.lists(
    st.tuples(PARAMETER, VALUES).map(lambda pair: f"{pair[0]}={pair[1]}"), max_size=6
).map("&".join)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERY, dataset=st.sampled_from(["hubeau-stations", "hubeau-observations"]))
def test_any_query_is_answered_without_a_server_error(kano: Kano, query: str, dataset: str) -> None:
    response = kano.get(f"/api/{dataset}?{query}")
    assert response.status_code in (200, 400, 403), (query, response.text)
    if response.status_code != 200:
        body = response.json()
        assert body["code"] == response.status_code
        assert body["name"] in ("BadRequest", "Forbidden")


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "_id": st.one_of(st.text(max_size=70), JSON),
        "type": st.sampled_from(["Feature", "Point"]),
        "time": st.one_of(
            st.integers(min_value=-(2**60), max_value=2**60),
            st.sampled_from(["2023-06-20T09:20:00Z", "yesterday", ""]),
            JSON,
        ),
        "geometry": st.one_of(
            st.just({"type": "Point", "coordinates": [1.0, 45.0]}),
            st.just({"type": "Point", "coordinates": [1.0, 95.0]}),
            JSON,
        ),
        "properties": st.one_of(
            st.fixed_dictionaries(
                {"code_station": st.sampled_from(["#K447001001", "#NEW", ""])},
                optional={
                    "H": JSON,
                    "Q": st.floats(allow_nan=False, allow_infinity=False),
                    "name": JSON,
                },
            ),
            JSON,
        ),
    },
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(DOCUMENT, st.lists(DOCUMENT, max_size=3), JSON),
    dataset=st.sampled_from(["hubeau-stations", "hubeau-observations"]),
)
def test_any_body_is_answered_without_a_server_error(
    kano: Kano, body: object, dataset: str
) -> None:
    headers = {"Authorization": f"Bearer {kano.token('features')}"}
    response = kano.client.post(f"/api/{dataset}", json=body, headers=headers)
    assert response.status_code in (201, 400, 409), (body, response.text)


def test_nul_characters_and_long_ids_are_no_server_errors(kano: Kano) -> None:
    """NUL ends C strings (SQLite's JSON paths) and PostgreSQL refuses it in text."""
    for path in [
        "/api/hubeau-stations/%00",
        "/api/hubeau-stations/" + "x" * 3000,
        "/api/hubeau-stations?_id=%00",
        "/api/hubeau-stations?properties.name=%00",
        "/api/hubeau-stations?properties.name[$regex]=%00",
        "/api/hubeau-stations?properties.name[$search]=%00",
        "/api/hubeau-stations?$distinct=properties.%00",
        "/api/hubeau-stations?$sort[properties.%00]=1",
        "/api/hubeau-stations?properties.a%00b[$exists]=true",
        "/api/hubeau-observations?$groupBy=%00&$aggregate=H",
        "/api/hubeau-observations?$aggregate=%00",
    ]:
        response = kano.get(path)
        assert response.status_code < 500, (path, response.text)
    headers = {"Authorization": f"Bearer {kano.token('features')}"}
    for body in [{"_id": "a\u0000b", "properties": {}}, {"properties": {"n\u0000": "x\u0000"}}]:
        response = kano.client.post("/api/hubeau-stations", json=body, headers=headers)
        assert response.status_code < 500, (body, response.text)
    patched = kano.client.patch(
        "/api/hubeau-stations/%23K447001001", json={"properties.x": "\u0000"}, headers=headers
    )
    assert patched.status_code < 500, patched.text
