"""Kano filter parameters: fields, operators and `$or`/`$and`/`$nor`, as core `Filter`s.

The Feathers/MongoDB query syntax of spec/kano.md §2.2-§2.3 and §6, read as DECISIONS.md settles:

- Fields are literal dotted keys (qs does no dot expansion): `_id`, `time`,
  `properties.<name>[.<path>]`, `geometry.type`; `type` is always `"Feature"`, so conditions on
  it are decided here (`Constant`); any other path (`level`, `runTime`, ...) is a field no
  document has (`Absent`).
- Equality (`f=v`, `f[$eq]`, `$ne`, `$in`, `$nin`) matches the raw text or its number/boolean
  reading (kdk#863). An equality with a list (`a=1&a=2`) or an object without operators compares
  with an array or embedded document: nothing in the core model holds one, so it matches nothing.
- `$lt $lte $gt $gte`: number, else ISO 8601 instant, else text; on `time` an instant or a 400.
- `$regex` must compile with Python's `re`; `$options` is not whitelisted (400, as the reference).
- `$search` (+ `$caseSensitive`) only on `properties.<label>` (§6); other fields are a 400.
- Whitelisted operators Geoseries does not implement (`$elemMatch`, `$text`, ...) and MongoDB
  operators outside the whitelist are 400s, never passed on.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from geoseries.api.dialects.kano.readings import (
    comparison_value,
    equality_candidates,
    param_name,
    text,
    time_value,
)
from geoseries.api.dialects.kano.spatial import GEO_OPERATORS, geometry_condition
from geoseries.errors import ValidationFailed
from geoseries.filters import (
    Absent,
    AllOf,
    AnyOf,
    Compare,
    Constant,
    Contains,
    DocId,
    Exists,
    Field,
    Filter,
    GeometryType,
    Matches,
    Not,
    OneOf,
    Op,
    Property,
    Scalar,
    Time,
)

UNSUPPORTED = frozenset(
    {
        "$elemMatch",
        "$text",
        "$language",
        "$diacriticSensitive",
        "$where",
        "$expr",
        "$jsonSchema",
        "$all",
        "$size",
        "$type",
        "$mod",
        "$comment",
    }
)
"""MongoDB operators Geoseries refuses by name (some are in the reference's whitelist)."""

_FEATURE_TYPE = Absent("type")
"""Stands for `type` while its condition is built, then decided against "Feature"."""


def field_for(path: str) -> Field:
    """The core field a dotted Kano path names (`type` maps to a field no document has)."""
    if path == "_id":
        return DocId()
    if path == "time":
        return Time()
    if path == "geometry.type":
        return GeometryType()
    head, _, rest = path.partition(".")
    if head == "properties" and rest:
        name, *more = rest.split(".")
        if name and all(more):
            return Property(name, tuple(more))
    return Absent(path)


def invalid_operator(name: str, param: str) -> ValidationFailed:
    """The reference's 400 for an operator outside its whitelist (§8), or ours for one we
    refuse although the reference passed it to MongoDB."""
    if name in UNSUPPORTED:
        return ValidationFailed(f"{name} is not supported (in {param})", field=param)
    return ValidationFailed(f"Invalid query parameter {name}", field=param)


def where(params: Mapping[str, Any], prefix: str, label: str | None) -> Filter:
    """The conjunction of the filter parameters `params` (below `prefix`, "" at the top)."""
    parts: list[Filter] = []
    for key, value in params.items():
        param = param_name(prefix, key)
        if key in _LOGICAL:
            parts.append(_logical(key, value, param, label))
        elif key.startswith("$"):
            raise invalid_operator(key, param)
        else:
            parts.append(field_condition(key, value, param, label))
    return conjunction(parts)


def conjunction(parts: list[Filter]) -> Filter:
    """`AllOf(parts)` flattened, with decided parts folded (`type=Feature` is no constraint)."""
    flat: list[Filter] = []
    for part in parts:
        if part == Constant(False):
            return part
        if part != Constant(True):
            flat.extend(part.parts if isinstance(part, AllOf) else (part,))
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def _logical(key: str, value: Any, param: str, label: str | None) -> Filter:
    if not (isinstance(value, list) and value):
        raise ValidationFailed(f"{param} must be a non-empty array of queries", field=param)
    parts: list[Filter] = []
    for index, item in enumerate(value):
        item_param = f"{param}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{item_param} must be a query object", field=item_param)
        parts.append(where(item, item_param, label))
    return _LOGICAL[key](tuple(parts))


_LOGICAL: Mapping[str, Callable[[tuple[Filter, ...]], Filter]] = {
    "$or": AnyOf,
    "$and": AllOf,
    "$nor": lambda parts: Not(AnyOf(parts)),
}


def field_condition(path: str, value: Any, param: str, label: str | None) -> Filter:
    """The condition `path=value`, where `value` is text, a list or a dict of operators."""
    field = _FEATURE_TYPE if path == "type" else field_for(path)
    if isinstance(value, dict):
        condition = _operators(field, path, value, param, label)
    else:
        condition = _equality(field, value, param, negate=False)
    return Constant(_on_feature(condition)) if path == "type" else condition


def _equality(field: Field, value: Any, param: str, *, negate: bool) -> Filter:
    if isinstance(value, list):
        return Constant(negate)  # equality with an array: no stored value is one
    written = text(value, param)
    candidates = (time_value(written, param),) if field == Time() else equality_candidates(written)
    return OneOf(field, candidates, negate=negate)


def _members(field: Field, value: Any, param: str, *, negate: bool) -> Filter:
    """`$in` / `$nin`: the union of each element's equality candidates."""
    if not isinstance(value, list):
        raise ValidationFailed(f"{param} must be an array, e.g. {param}[]=a", field=param)
    candidates: list[Scalar] = []
    for index, item in enumerate(value):
        item_param = f"{param}[{index}]"
        written = text(item, item_param)
        readings = (
            (time_value(written, item_param),) if field == Time() else equality_candidates(written)
        )
        for reading in readings:  # by type and value: a set would merge True, 1.0 and 1
            if not any(type(reading) is type(old) and reading == old for old in candidates):
                candidates.append(reading)
    return OneOf(field, tuple(candidates), negate=negate) if candidates else Constant(negate)


def _compare(op: Op) -> Callable[[Field, Any, str], Filter]:
    def condition(field: Field, value: Any, param: str) -> Filter:
        written = text(value, param)
        operand = time_value(written, param) if field == Time() else comparison_value(written)
        return Compare(field, op, operand)

    return condition


def _exists(field: Field, value: Any, param: str) -> Filter:
    written = text(value, param)
    if written not in _BOOLEANS:
        raise ValidationFailed(f"{param} must be true or false, got {written!r}", field=param)
    return Exists(field, _BOOLEANS[written])


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _regex(field: Field, value: Any, param: str) -> Filter:
    pattern = text(value, param)
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as error:
        message = f"{param} is not a valid regular expression: {error}"
        raise ValidationFailed(message, field=param) from None
    return Matches(field, pattern)


_OPERATORS: Mapping[str, Callable[[Field, Any, str], Filter]] = {
    "$eq": lambda field, value, param: _equality(field, value, param, negate=False),
    "$ne": lambda field, value, param: _equality(field, value, param, negate=True),
    "$in": lambda field, value, param: _members(field, value, param, negate=False),
    "$nin": lambda field, value, param: _members(field, value, param, negate=True),
    "$lt": _compare(Op.LT),
    "$lte": _compare(Op.LTE),
    "$gt": _compare(Op.GT),
    "$gte": _compare(Op.GTE),
    "$exists": _exists,
    "$regex": _regex,
}


def _operators(
    field: Field, path: str, operators: Mapping[str, Any], param: str, label: str | None
) -> Filter:
    """The conjunction of `path[$op]=value` conditions."""
    if not any(key.startswith("$") for key in operators):
        return Constant(False)  # equality with an embedded document: no stored value is one
    parts: list[Filter] = []
    for name, value in operators.items():
        op_param = param_name(param, name)
        if not name.startswith("$"):
            raise ValidationFailed(
                f"{op_param}: a field cannot mix operators and sub-fields", field=op_param
            )
        if name in ("$search", "$caseSensitive"):
            continue
        if path == "geometry" and name in GEO_OPERATORS:
            parts.append(geometry_condition(name, value, op_param))
        elif name == "$not":
            if not isinstance(value, dict) or not value:
                raise ValidationFailed(f"{op_param} must hold operators", field=op_param)
            parts.append(Not(_operators(field, path, value, op_param, label)))
        elif name in _OPERATORS:
            target = GeometryType() if path == "geometry" and name == "$exists" else field
            parts.append(_OPERATORS[name](target, value, op_param))
        elif name in GEO_OPERATORS:
            raise ValidationFailed(f"{op_param}: {name} applies to geometry only", field=op_param)
        else:
            raise invalid_operator(name, op_param)
    if "$search" in operators or "$caseSensitive" in operators:
        parts.append(_search(field, path, operators, param, label))
    return conjunction(parts)


def _search(
    field: Field, path: str, operators: Mapping[str, Any], param: str, label: str | None
) -> Filter:
    """Fuzzy text search on the dataset's label (§6): substring, accent-insensitive, and
    case-insensitive unless `$caseSensitive` is any non-empty text (even "false")."""
    search_param = param_name(param, "$search")
    if "$search" not in operators:
        raise ValidationFailed(
            f"{param_name(param, '$caseSensitive')} needs {search_param}", field=search_param
        )
    if label is None or path != f"properties.{label}":
        # the reference's exact message, which names the field (§8)
        raise ValidationFailed(
            f"You are not allowed to perform $search on field {path}", field=path
        )
    case = operators.get("$caseSensitive", "")
    sensitive = bool(text(case, param_name(param, "$caseSensitive")))
    return Contains(field, text(operators["$search"], search_param), sensitive)


_ORDER: Mapping[Op, Callable[[str, str], bool]] = {
    Op.LT: operator.lt,
    Op.LTE: operator.le,
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
}


def _on_feature(condition: Filter) -> bool:
    """Whether a document's `type`, always "Feature" (§4.1), passes `condition`."""
    if isinstance(condition, Constant):
        return condition.value
    if isinstance(condition, OneOf):
        return any(value == "Feature" for value in condition.values) != condition.negate
    if isinstance(condition, Compare):
        if condition.op in (Op.EQ, Op.NE):
            return (condition.value == "Feature") == (condition.op is Op.EQ)
        return isinstance(condition.value, str) and _ORDER[condition.op]("Feature", condition.value)
    if isinstance(condition, Exists):
        return condition.exists
    if isinstance(condition, Matches):
        return re.search(condition.pattern, "Feature") is not None
    if isinstance(condition, Not):
        return not _on_feature(condition.part)
    if isinstance(condition, AllOf):
        return all(_on_feature(part) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(_on_feature(part) for part in condition.parts)
    return False
