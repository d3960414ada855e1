"""The Kano query-string parser reproduces Node `qs` 6.11 (spec/kano.md §2.1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoseries.api.dialects.kano.qs import PARAMETER_LIMIT, parse_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # spec/kano.md §2.1, row by row
        ("a=b", {"a": "b"}),
        ("a=1", {"a": "1"}),
        ("a=", {"a": ""}),
        ("a=1&a=2", {"a": ["1", "2"]}),
        ("a[]=1&a[]=2", {"a": ["1", "2"]}),
        ("a[0]=1&a[1]=2", {"a": ["1", "2"]}),
        ("a[k]=v", {"a": {"k": "v"}}),
        ("a[$gte]=v", {"a": {"$gte": "v"}}),
        ("properties.code_station=x", {"properties.code_station": "x"}),
        ("a=x+y", {"a": "x y"}),
        ("time=2023-06-20T09:20:00+02:00", {"time": "2023-06-20T09:20:00 02:00"}),
        ("time=2023-06-20T09:20:00%2B02:00", {"time": "2023-06-20T09:20:00+02:00"}),
        ("code_station=%23X331001001", {"code_station": "#X331001001"}),
    ],
)
def test_spec_table(query: str, expected: dict[str, Any]) -> None:
    assert parse_query(query) == expected


SEED_REQUESTS = [
    (
        "south=44.96479793033104&north=45.02695045318546&west=-0.17578125&east=-0.087890625"
        "&jwt=your_token",
        {
            "south": "44.96479793033104",
            "north": "45.02695045318546",
            "west": "-0.17578125",
            "east": "-0.087890625",
            "jwt": "your_token",
        },
    ),
    (
        "south=44&north=45&west=-0.5&east=0.5&time[$gte]=2023-06-20T08:00:00Z"
        "&time[$lte]=2023-06-20T09:00:00Z&$sort[time]=-1&jwt=t",
        {
            "south": "44",
            "north": "45",
            "west": "-0.5",
            "east": "0.5",
            "time": {"$gte": "2023-06-20T08:00:00Z", "$lte": "2023-06-20T09:00:00Z"},
            "$sort": {"time": "-1"},
            "jwt": "t",
        },
    ),
    (
        "$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        "&properties.code_station=%23X331001001&time[$gte]=2023-06-19T09:00:00Z"
        "&time[$lte]=2023-06-20T09:00:00Z&jwt=t",
        {
            "$groupBy": "code_station",
            "$aggregate": ["H", "Q"],
            "properties.code_station": "#X331001001",
            "time": {"$gte": "2023-06-19T09:00:00Z", "$lte": "2023-06-20T09:00:00Z"},
            "jwt": "t",
        },
    ),
    (
        "$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        "&properties.code_station=%23K447001001&time[$lte]=2023-06-20T09:00:00Z"
        "&$limit=1&$sort[time]=-1&jwt=t",
        {
            "$groupBy": "code_station",
            "$aggregate": ["H", "Q"],
            "properties.code_station": "#K447001001",
            "time": {"$lte": "2023-06-20T09:00:00Z"},
            "$limit": "1",
            "$sort": {"time": "-1"},
            "jwt": "t",
        },
    ),
]


@pytest.mark.parametrize(("query", "expected"), SEED_REQUESTS)
def test_seed_requests(query: str, expected: dict[str, Any]) -> None:
    assert parse_query(query) == expected


def test_raw_hash_in_a_value_is_kept_literally() -> None:
    """HTTP clients never send `#...`, but a server-side caller could: it is an ordinary char."""
    assert parse_query("properties.code_station=#X331001001") == {
        "properties.code_station": "#X331001001"
    }


def test_nesting_stops_at_five_bracket_levels() -> None:
    assert parse_query("a[b][c][d][e][f]=x") == {"a": {"b": {"c": {"d": {"e": {"f": "x"}}}}}}
    assert parse_query("a[b][c][d][e][f][g][h][i]=j") == {
        "a": {"b": {"c": {"d": {"e": {"f": {"[g][h][i]": "j"}}}}}}
    }


def test_geojson_polygon_cannot_be_expressed() -> None:
    query = "geometry[$geoWithin][$geometry][coordinates][0][0][0]=1"
    assert parse_query(query) == {
        "geometry": {"$geoWithin": {"$geometry": {"coordinates": [[{"[0]": "1"}]]}}}
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a[1]=b&a[15]=c", {"a": ["b", "c"]}),
        ("a[20]=x", {"a": ["x"]}),
        ("a[21]=x", {"a": {"21": "x"}}),
        ("a[0]=x&a[21]=y", {"a": {"0": "x", "21": "y"}}),
        ("a[2]=x&a[0]=y", {"a": ["y", "x"]}),
        ("a[01]=x", {"a": {"01": "x"}}),
        ("a[-1]=x", {"a": {"-1": "x"}}),
    ],
)
def test_array_indices(query: str, expected: dict[str, Any]) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a[b]=1&a=c", {"a": {"b": "1", "c": True}}),
        ("a=1&a[b]=2", {"a": ["1", {"b": "2"}]}),
        ("a=1&a[]=2", {"a": ["1", "2"]}),
        ("a[]=b&a=c", {"a": ["b", "c"]}),
        ("a[1]=b&a=c", {"a": ["b", "c"]}),
        ("a[0]=b&a[b]=c", {"a": {"0": "b", "b": "c"}}),
        ("a[][b]=c", {"a": [{"b": "c"}]}),
        ("a[b]=1&a=", {"a": {"b": "1"}}),
        ("a[0]=1&a[0]=2", {"a": [["1", "2"]]}),
        ("a=x&a[2]=y&a[1]=z", {"a": ["x", "z", "y"]}),
    ],
)
def test_mixed_scalar_and_nested_forms_follow_qs_merge(
    query: str, expected: dict[str, Any]
) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("a", {"a": ""}),
        ("a&&b=", {"a": "", "b": ""}),
        ("=x", {}),
        ("a%5Bb%5D=c", {"a": {"b": "c"}}),
        ("a=b=c", {"a": "b=c"}),
        ("a[b]=c=d", {"a": {"b": "c=d"}}),
        ("[]=x", {"0": "x"}),
        ("a[=x", {"a[": "x"}),
        ("a[__proto__]=x&b=1", {"a": {}, "b": "1"}),
        ("b=1&2=x", {"2": "x", "b": "1"}),
    ],
)
def test_edge_cases(query: str, expected: dict[str, Any]) -> None:
    assert parse_query(query) == expected


def test_index_like_keys_come_first_as_in_javascript() -> None:
    assert list(parse_query("b=1&10=x&2=y")) == ["2", "10", "b"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=%", "%"),
        ("a=%ZZ+x", "%ZZ x"),
        ("a=100%25", "100%"),
        ("a=%E0%A4%A", "%E0%A4%A"),
        ("a=%C3", "%C3"),
        ("a=%ED%A0%80", "%ED%A0%80"),
        ("a=%C3%A9t%C3%A9", "été"),
    ],
)
def test_malformed_escapes_are_kept(query: str, expected: str) -> None:
    assert parse_query(query) == {"a": expected}


def test_parameters_past_the_limit_are_ignored() -> None:
    query = "&".join(f"p{i}=v" for i in range(PARAMETER_LIMIT + 500))
    parsed = parse_query(query)
    assert len(parsed) == PARAMETER_LIMIT
    assert f"p{PARAMETER_LIMIT - 1}" in parsed
    assert f"p{PARAMETER_LIMIT}" not in parsed


def _only_json_values(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_json_values(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_json_values(item) for item in value)
    return isinstance(value, str) or value is True


QUERY_TEXT = st.text(alphabet=st.sampled_from("ab01[]=&%+$.#25AéF\u0000"), max_size=60)


@given(st.one_of(st.text(max_size=200), QUERY_TEXT))
def test_any_text_parses(query: str) -> None:
    assert _only_json_values(parse_query(query))


KEYS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,5}", fullmatch=True)
VALUES = st.one_of(
    st.from_regex(r"[a-zA-Z0-9]{0,6}", fullmatch=True),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8),
)
STRUCTURES = st.recursive(
    VALUES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=10),
        st.dictionaries(KEYS, inner, min_size=1, max_size=4),
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(_depth(v) for v in value.values())
    if isinstance(value, list):
        return 1 + max(_depth(v) for v in value)
    return 0


def _encode(value: Any, prefix: str) -> list[str]:
    """qs.stringify with `encodeValuesOnly` and indexed arrays."""
    if isinstance(value, dict):
        return [part for k, v in value.items() for part in _encode(v, f"{prefix}[{k}]")]
    if isinstance(value, list):
        return [part for i, v in enumerate(value) for part in _encode(v, f"{prefix}[{i}]")]
    return [f"{prefix}={quote(value, safe='')}"]


@given(st.dictionaries(KEYS, STRUCTURES, min_size=1, max_size=5).filter(lambda d: _depth(d) <= 5))
def test_encoded_structures_round_trip(structure: dict[str, Any]) -> None:
    query = "&".join(part for key, value in structure.items() for part in _encode(value, key))
    assert parse_query(query) == structure
