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
