"""Kano time aggregation parameters: `$aggregate`, `$groupBy` and `$group` (spec/kano.md §5).

- `$aggregate` lists the elements to aggregate (variable names or `geometry`); a scalar
  `$aggregate=H` is read as `$aggregate[0]=H` (DECISIONS.md; the reference answered 500).
  Names are not checked against the dataset's variables: as in the reference, an element no
  document holds simply yields no values.
- `$groupBy` names properties relative to `properties`; the KDK docs' `properties.iata_code` is
  accepted by stripping the prefix (§11 item 3: the reference would have failed).
- `$group[<name>][<$acc>]=<expr>` (§5.5): the accumulators and expression operators of the
  allow-list in `geoseries.query.expressions` only; any other `$`-key anywhere inside is a 403
  (kdk#1381), checked before the shape so a probe learns nothing else. Numeric text leaves become
  numbers (`$group[n][$sum]=1` counts, where the reference summed the string "1" to 0).
"""

from __future__ import annotations

from typing import Any

from geoseries.api.dialects.kano.readings import finite_float, param_name, text
from geoseries.errors import Forbidden, ValidationFailed
from geoseries.query.expressions import ACCUMULATORS, OPERATORS, Accumulator, Expression

_ALLOWED = ACCUMULATORS | frozenset(OPERATORS)
_RESERVED_NAMES = frozenset({"_id", "type", "time", "geometry", "properties"})
"""Keys of the aggregated feature an accumulator may not overwrite."""
_SAFE_INTEGER = 2**53


def _names(value: Any, param: str) -> tuple[str, ...]:
    """A scalar or an array of non-empty names, without duplicates, in order."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for index, item in enumerate(items):
        item_param = f"{param}[{index}]" if isinstance(value, list) else param
        name = text(item, item_param)
        if not name:
            raise ValidationFailed(f"{item_param} must not be empty", field=item_param)
        if name not in names:
            names.append(name)
    return tuple(names)


def elements(value: Any) -> tuple[str, ...]:
    """`$aggregate`: the variables (or `geometry`) to aggregate."""
    return _names(value, "$aggregate")


def group_by(value: Any) -> tuple[str, ...]:
    """`$groupBy`: property names, relative to `properties`."""
    names = [name.removeprefix("properties.") for name in _names(value, "$groupBy")]
    for name in names:
        if not name:
            raise ValidationFailed("$groupBy must name a property", field="$groupBy")
    return tuple(dict.fromkeys(names))


def check_operators(value: Any) -> None:
    """403 for any `$`-key outside the allow-list, anywhere inside `$group` (kdk#1381)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") and key not in _ALLOWED:
                raise Forbidden(f"You are not allowed to use {key} operator")
            check_operators(item)
    elif isinstance(value, list):
        for item in value:
            check_operators(item)


def accumulators(value: Any) -> tuple[Accumulator, ...]:
    """`$group[<name>][<$acc>]=<expr>` entries, allow-listed and shape-checked."""
    check_operators(value)
    if not isinstance(value, dict) or not value:
        raise ValidationFailed(
            "$group must be an object, e.g. $group[maxH][$max]=$properties.H", field="$group"
        )
    parsed: list[Accumulator] = []
    for name, spec in value.items():
        param = param_name("$group", name)
        if not name or name.startswith("$") or "." in name or name in _RESERVED_NAMES:
            raise ValidationFailed(
                f"{param}: the name must be a plain key other than "
                f"{', '.join(sorted(_RESERVED_NAMES))}",
                field=param,
            )
        if not (isinstance(spec, dict) and len(spec) == 1):
            raise ValidationFailed(f"{param} must hold exactly one accumulator", field=param)
        ((op, expression),) = spec.items()
        if op not in ACCUMULATORS:
            raise ValidationFailed(
                f"{param_name(param, op)}: the accumulator must be one of "
                f"{' '.join(sorted(ACCUMULATORS))}",
                field=param_name(param, op),
            )
        parsed.append(Accumulator(name, op, _expression(expression, param_name(param, op))))
    return tuple(parsed)


def _expression(value: Any, param: str) -> Expression:
    """The expression with numeric text read as numbers; `$$` variables are refused."""
    if isinstance(value, dict):
        return {key: _expression(item, param_name(param, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_expression(item, f"{param}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value
    if value.startswith("$$"):
        raise ValidationFailed(f"{param}: variables such as {value} are not supported", field=param)
    if value.startswith("$"):
        if value == "$" or "" in value[1:].split("."):
            raise ValidationFailed(f"{param}: {value!r} is not a field path", field=param)
        return value
    number = finite_float(value)
    if number is None:
        return value
    return int(number) if number.is_integer() and abs(number) < _SAFE_INTEGER else number
