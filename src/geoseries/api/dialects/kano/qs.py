"""Query strings parsed the way Kano sees them: Node `qs` 6.11 as Express's "extended" parser.

Kano clients build URLs for that parser (spec/kano.md §2.1), so reproducing it, quirks included,
is what lets every documented request work verbatim. The parser follows qs's own three steps:

1. split on `&` (at most `PARAMETER_LIMIT` parts; the rest is ignored, as qs does), decode each
   key and value (`+` is a space; a malformed percent escape keeps the text as it is, since qs
   catches `decodeURIComponent`'s error), and join repeated keys into a list;
2. turn each key into a chain of segments: `a[b][0]` is `a`, `b`, `0`; at most `MAX_DEPTH`
   bracket segments, the remainder kept as one literal key (`[g][h]`); no dot expansion;
3. build one object per key and merge them with qs's `utils.merge`, then drop array holes.

Values are strings, except one qs quirk kept on purpose: a plain value merged into an object
becomes a key set to `True` (`a[b]=1&a=c` gives `{"a": {"b": "1", "c": True}}`).

Simplifications: only the options Express uses (no `comma`, `allowDots`, charset sentinel or
strict null handling); keys named `__proto__` are dropped, as qs does; object keys that look like
array indices come first in ascending order, like JavaScript's property order.
"""

from __future__ import annotations

import re
from typing import Any

PARAMETER_LIMIT = 1000
"""qs's default `parameterLimit`: parameters past it are ignored."""
MAX_DEPTH = 5
"""qs's default `depth`: bracket segments past it stay one literal key."""
ARRAY_LIMIT = 20
"""qs's default `arrayLimit`: a larger index makes an object with string keys, not an array."""

_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_SEGMENT = re.compile(r"\[[^[\]]*\]")
_MAX_ARRAY_INDEX = 2**32 - 2


class _Hole:
    """An unset slot of a sparse JavaScript array; removed once every key is merged."""


_HOLE = _Hole()


def parse_query(query: str) -> dict[str, Any]:
    """The object qs 6.11 (Express "extended") makes of `query`, the text after `?`."""
    result: dict[str, Any] = {}
    for key, value in _js_key_order(_parse_values(query)).items():
        if key:  # qs skips empty keys
            result = _merge(result, _build(_segments(key), value))
    compacted: dict[str, Any] = _compact(result)
    return compacted


def _parse_values(query: str) -> dict[str, Any]:
    """Decoded key -> decoded value, or list of values for a repeated key."""
    values: dict[str, Any] = {}
    if not query:
        return values
    for part in query.split("&", PARAMETER_LIMIT)[:PARAMETER_LIMIT]:
        bracket_equals = part.find("]=")
        position = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if position == -1:
            key, value = _decode(part), ""
        else:
            key, value = _decode(part[:position]), _decode(part[position + 1 :])
        if key in values:
            previous = values[key]
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[key] = value
    return values


def _decode(text: str) -> str:
    """`+` as a space, then `decodeURIComponent`; on a malformed escape, the text as it is."""
    text = text.replace("+", " ")
    if "%" not in text or "%" in _ESCAPES.sub("", text):
        return text
    try:
        return _ESCAPES.sub(lambda run: bytes.fromhex(run[0].replace("%", "")).decode(), text)
    except UnicodeDecodeError:
        return text


def _segments(key: str) -> list[str]:
    """qs's `parseKeys`: the parent, then bracketed segments, then any remainder as one."""
    first = _SEGMENT.search(key)
    parent = key[: first.start()] if first else key
    chain = [parent] if parent else []
    for found, segment in enumerate(_SEGMENT.finditer(key)):
        if found == MAX_DEPTH:
            chain.append("[" + key[segment.start() :] + "]")
            break
        chain.append(segment[0])
    return chain


def _build(chain: list[str], leaf: Any) -> Any:
    """qs's `parseObject`: the nested object for one key's chain of segments."""
    for root in reversed(chain):
        if root == "[]":
            leaf = list(leaf) if isinstance(leaf, list) else [leaf]
            continue
        bracketed = root.startswith("[") and root.endswith("]") and len(root) >= 2
        clean = root[1:-1] if bracketed else root
        if bracketed and _is_index(clean) and int(clean) <= ARRAY_LIMIT:
            leaf = [_HOLE] * int(clean) + [leaf]
        elif clean == "__proto__":
            leaf = {}
        else:
            leaf = {clean: leaf}
    return leaf


def _is_index(text: str) -> bool:
    """Whether `String(parseInt(text, 10)) === text` for a non-negative integer."""
    return 0 < len(text) <= 10 and text.isascii() and text.isdigit() and str(int(text)) == text


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _merge(target: Any, source: Any) -> Any:
    """qs's `utils.merge` (6.11) with `allowPrototypes`, on dicts and hole-filled lists."""
    if source == "":
        return target  # `if (!source) return target`
    if not _is_container(source):
        if isinstance(target, list):
            target.append(source)
            return target
        if isinstance(target, dict):
            target[source] = True
            return target
        return [target, source]
    if not _is_container(target):
        return [target, *source] if isinstance(source, list) else [target, source]
    if isinstance(target, list) and isinstance(source, list):
        for index, item in enumerate(source):
            if item is _HOLE:
                continue
            if index < len(target) and target[index] is not _HOLE:
                if _is_container(target[index]) and _is_container(item):
                    target[index] = _merge(target[index], item)
                else:
                    target.append(item)
            else:
                target.extend([_HOLE] * (index + 1 - len(target)))
                target[index] = item
        return target
    merged = _as_object(target) if isinstance(target, list) else target
    for key, value in (_as_object(source) if isinstance(source, list) else source).items():
        merged[key] = _merge(merged[key], value) if key in merged else value
    return merged


def _as_object(items: list[Any]) -> dict[str, Any]:
    """qs's `arrayToObject`: the set slots of an array, keyed by their index as a string."""
    return {str(index): item for index, item in enumerate(items) if item is not _HOLE}


def _compact(value: Any) -> Any:
    """Arrays without their holes, objects in JavaScript key order, all the way down."""
    if isinstance(value, list):
        return [_compact(item) for item in value if item is not _HOLE]
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in _js_key_order(value).items()}
    return value


def _js_key_order(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with array-index-like keys first, ascending, as `Object.keys` lists them."""
    indices = [key for key in obj if _is_index(key) and int(key) <= _MAX_ARRAY_INDEX]
    if not indices:
        return obj
    ordered = {key: obj[key] for key in sorted(indices, key=int)}
    ordered.update((key, item) for key, item in obj.items() if key not in ordered)
    return ordered
