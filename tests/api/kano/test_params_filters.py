"""Kano filter parameters -> core filters (spec/kano.md §2.2-§2.3, §6; DECISIONS.md)."""

from __future__ import annotations

import pytest

from geoseries.api.dialects.kano.params import FindRequest, parse_find
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.errors import ValidationFailed
from geoseries.filters import (
    EVERYTHING,
    Absent,
    AllOf,
    AnyOf,
    Compare,
    Constant,
    Contains,
    DocId,
    Exists,
    Filter,
    GeometryType,
    Instant,
    Matches,
    Not,
    OneOf,
    Op,
    Property,
    Time,
)
from tests.api.kano.datasets import OBSERVATIONS as DATASET

T0 = 1687252800000  # 2023-06-20T09:20:00Z


def where(query: str) -> Filter:
    request = parse_find(parse_query(query), DATASET)
    assert isinstance(request, FindRequest)
    return request.query.where


def refused(query: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_find(parse_query(query), DATASET)
    return caught.value


# -- fields ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("_id", DocId()),
        ("properties.H", Property("H")),
        ("properties.a.b.c", Property("a", ("b", "c"))),
        ("geometry.type", GeometryType()),
        ("level", Absent("level")),
        ("runTime", Absent("runTime")),
        ("geometry.coordinates", Absent("geometry.coordinates")),
        ("properties", Absent("properties")),
        ("properties.", Absent("properties.")),
        ("properties.a..b", Absent("properties.a..b")),
    ],
)
def test_fields_map_dotted_keys_literally(key: str, field: object) -> None:
    assert where(f"{key}=x") == OneOf(field, ("x",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "decided"),
    [
        ("type=Feature", True),
        ("type=Point", False),
        ("type[$ne]=Feature", False),
        ("type[$in][]=Point&type[$in][]=Feature", True),
        ("type[$nin][]=Feature", False),
        ("type[$exists]=false", False),
        ("type[$regex]=^Feat", True),
        ("type[$gt]=A", True),
        ("type[$lt]=A", False),
        ("type[$not][$eq]=Feature", False),
    ],
)
def test_type_is_always_feature_and_decided_while_parsing(query: str, decided: bool) -> None:
    assert where(query) == (EVERYTHING if decided else Constant(False))


def test_type_feature_leaves_the_other_conditions() -> None:
    assert where("type=Feature&properties.H=1") == OneOf(Property("H"), ("1", 1.0))


# -- equality --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "candidates"),
    [
        ("0.397", ("0.397", 0.397)),
        ("%23X331001001", ("#X331001001",)),
        ("true", ("true", True)),
        ("false", ("false", False)),
        ("1e3", ("1e3", 1000.0)),
        ("nan", ("nan",)),
        ("inf", ("inf",)),
        ("1_000", ("1_000",)),
        ("", ("",)),
    ],
)
def test_equality_matches_text_number_or_boolean_reading(value: str, candidates: tuple) -> None:  # type: ignore[type-arg]
    assert where(f"properties.H={value}") == OneOf(Property("H"), candidates)
    assert where(f"properties.H[$eq]={value}") == OneOf(Property("H"), candidates)


def test_ne_negates_the_same_candidates() -> None:
    assert where("properties.H[$ne]=1") == OneOf(Property("H"), ("1", 1.0), negate=True)


def test_in_unions_candidates_keeping_types_apart() -> None:
    assert where("properties.x[$in][]=1&properties.x[$in][]=true&properties.x[$in][]=1") == OneOf(
        Property("x"), ("1", 1.0, "true", True)
    )
    assert where("properties.x[$nin][0]=a") == OneOf(Property("x"), ("a",), negate=True)


@pytest.mark.parametrize("operator", ["$in", "$nin"])
def test_in_needs_an_array(operator: str) -> None:
    error = refused(f"properties.code_station[{operator}]=a")
    assert error.field == f"properties.code_station[{operator}]"
    assert f"properties.code_station[{operator}]" in error.message


def test_in_with_index_above_qs_array_limit_is_not_an_array() -> None:
    assert refused("properties.x[$in][25]=a").field == "properties.x[$in]"


def test_equality_with_a_list_matches_nothing() -> None:
    assert where("properties.H=1&properties.H=2") == Constant(False)
    assert where("properties.H=1&properties.H=2&level=3") == Constant(False)
    assert where("properties.H[$ne][]=1") == EVERYTHING


def test_equality_with_an_embedded_document_matches_nothing() -> None:
    assert where("properties.H[a]=1") == Constant(False)


def test_operators_cannot_mix_with_sub_fields() -> None:
    assert refused("properties.H[$gt]=1&properties.H[a]=2").field == "properties.H[a]"


def test_time_equality_and_in_are_instants() -> None:
    assert where("time=2023-06-20T09:20:00Z") == OneOf(Time(), (Instant(T0),))
    assert where("time[$in][]=2023-06-20T09:20:00&time[$in][]=1687252800000") == OneOf(
        Time(), (Instant(T0),)
    )
    assert where("time[$ne]=2023-06-20T11:20:00%2B02:00") == OneOf(
        Time(), (Instant(T0),), negate=True
    )


# -- comparisons -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "operand"),
    [
        ("1", 1.0),
        ("-2.5", -2.5),
        ("2023", 2023.0),
        ("2023-06-20T09:20:00Z", Instant(T0)),
        ("2023-06-20T09:20:00", Instant(T0)),
        ("2023-06-20", Instant(T0 - (9 * 60 + 20) * 60_000)),
        ("abc", "abc"),
        ("", ""),
    ],
)
@pytest.mark.parametrize(
    ("operator", "op"), [("$lt", Op.LT), ("$lte", Op.LTE), ("$gt", Op.GT), ("$gte", Op.GTE)]
)
def test_comparisons_read_number_then_date_then_text(
    value: str, operand: object, operator: str, op: Op
) -> None:
    assert where(f"runTime[{operator}]={value}") == Compare(Absent("runTime"), op, operand)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "ms"),
    [("2023-06-20T09:20:00.000Z", T0), ("2023-06-20T09:20:00", T0), (str(T0), T0)],
)
def test_time_comparisons_are_instants(value: str, ms: int) -> None:
    assert where(f"time[$gte]={value}") == Compare(Time(), Op.GTE, Instant(ms))


@pytest.mark.parametrize("value", ["yesterday", "", "2023-13-01", "1e30"])
def test_time_needs_an_instant(value: str) -> None:
    error = refused(f"time[$gte]={value}")
    assert error.field == "time[$gte]"
    assert "time[$gte]" in error.message
    assert refused(f"time={value}").field == "time"


def test_comparison_value_must_be_single() -> None:
    assert refused("properties.H[$gt][]=1").field == "properties.H[$gt]"
    assert refused("properties.H[$gt][a]=1").field == "properties.H[$gt]"


# -- exists, regex, search -------------------------------------------------------------------
@pytest.mark.parametrize(("value", "exists"), [("true", True), ("1", True), ("false", False)])
def test_exists(value: str, exists: bool) -> None:
    assert where(f"properties.Q[$exists]={value}") == Exists(Property("Q"), exists)


def test_exists_on_geometry_tests_its_type() -> None:
    assert where("geometry[$exists]=0") == Exists(GeometryType(), False)


def test_exists_needs_a_boolean() -> None:
    assert refused("properties.Q[$exists]=yes").field == "properties.Q[$exists]"


def test_regex() -> None:
    assert where("properties.name[$regex]=^La") == Matches(Property("name"), "^La")
    assert refused("properties.name[$regex]=(").field == "properties.name[$regex]"


def test_regex_options_are_not_whitelisted() -> None:
    error = refused("properties.name[$regex]=a&properties.name[$options]=i")
    assert error.message == "Invalid query parameter $options"
    assert error.field == "properties.name[$options]"


def test_search_on_the_label() -> None:
    assert where("properties.name[$search]=loire") == Contains(Property("name"), "loire")
    assert where("properties.name[$search]=L&properties.name[$caseSensitive]=false") == Contains(
        Property("name"), "L", case_sensitive=True
    )
    assert where("properties.name[$search]=L&properties.name[$caseSensitive]=") == Contains(
        Property("name"), "L"
    )


def test_search_inside_or() -> None:
    assert where("$or[0][properties.name][$search]=a&$or[1][properties.H]=1") == AnyOf(
        (Contains(Property("name"), "a"), OneOf(Property("H"), ("1", 1.0)))
    )


@pytest.mark.parametrize("key", ["properties.code_station", "name", "properties.name.x"])
def test_search_elsewhere_is_refused(key: str) -> None:
    error = refused(f"{key}[$search]=a")
    assert error.message == f"You are not allowed to perform $search on field {key}"


def test_search_without_a_label_is_refused() -> None:
    from dataclasses import replace

    with pytest.raises(ValidationFailed, match=r"\$search"):
        parse_find({"properties.name": {"$search": "a"}}, replace(DATASET, label=None))


def test_case_sensitive_alone_is_refused() -> None:
    assert "$search" in refused("properties.name[$caseSensitive]=1").message


# -- logic -----------------------------------------------------------------------------------
def test_or_and_nor() -> None:
    h1, q2 = OneOf(Property("H"), ("1", 1.0)), OneOf(Property("Q"), ("2", 2.0))
    assert where("$or[0][properties.H]=1&$or[1][properties.Q]=2") == AnyOf((h1, q2))
    assert where("$and[0][properties.H]=1&$and[1][properties.Q]=2") == AllOf((h1, q2))
    assert where("$nor[0][properties.H]=1&$nor[1][properties.Q]=2") == Not(AnyOf((h1, q2)))


def test_logic_nests() -> None:
    assert where("$or[0][$and][0][properties.H][$gt]=1&$or[1][_id]=a") == AnyOf(
        (Compare(Property("H"), Op.GT, 1.0), OneOf(DocId(), ("a",)))
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("$or=a", "$or"),
        ("$or[0]=a", "$or[0]"),
        ("$and[25][x]=1", "$and"),
        ("$or[0][$limit]=1", "$or[0][$limit]"),
        ("$or[0][properties.H][$gt][]=1", "$or[0][properties.H][$gt]"),
    ],
)
def test_logic_errors_name_the_nested_parameter(query: str, param: str) -> None:
    error = refused(query)
    assert error.field == param


def test_shortcuts_are_top_level_only() -> None:
    assert where("$or[0][south]=1") == AnyOf((OneOf(Absent("south"), ("1", 1.0)),))


def test_not_negates_the_inner_condition() -> None:
    assert where("properties.H[$not][$gt]=3") == Not(Compare(Property("H"), Op.GT, 3.0))
    assert refused("properties.H[$not]=3").field == "properties.H[$not]"


def test_several_operators_on_one_field_are_anded() -> None:
    assert where("properties.H[$gt]=1&properties.H[$lte]=2") == AllOf(
        (Compare(Property("H"), Op.GT, 1.0), Compare(Property("H"), Op.LTE, 2.0))
    )


@pytest.mark.parametrize("operator", ["$foo", "$options", "$where"])
def test_unknown_top_level_operator(operator: str) -> None:
    error = refused(f"{operator}=1")
    assert operator in error.message
    assert error.field == operator


def test_unknown_field_operator_uses_the_reference_message() -> None:
    error = refused("properties.H[$foo]=1")
    assert error.message == "Invalid query parameter $foo"
    assert error.field == "properties.H[$foo]"


@pytest.mark.parametrize("operator", ["$elemMatch", "$text", "$where", "$expr", "$size"])
def test_unsupported_operators_are_named(operator: str) -> None:
    error = refused(f"properties.H[{operator}][x]=1")
    assert operator in error.message
    assert "not supported" in error.message
    assert error.field == f"properties.H[{operator}]"


def test_geo_operators_apply_to_geometry_only() -> None:
    assert refused("properties.H[$geoWithin][$box]=1").field == "properties.H[$geoWithin]"


def test_qs_true_quirk_is_a_bad_value() -> None:
    # `a[b]=1&a=c` makes {"a": {"b": "1", "c": True}}
    assert refused("properties.H[$gt]=1&properties.H=c").field == "properties.H[c]"
    assert refused("$or[0][a]=1&$or[0]=c").field == "$or[1]"  # [{"a": "1"}, "c"]
    assert refused("x[$eq][a]=1&x[$eq]=c").field == "x[$eq]"
