"""JSON schemas with bounds a grammar can enforce, for small local models.

llama-cpp-python's server turns ``response_format={"type": "json_object", "schema": ...}`` into a grammar,
so the answer is always JSON of that shape — but a 0.5B model can loop inside a string or an array until
it runs out of tokens (measured: a 900-token caption taking 108 s and ending as invalid JSON). Bounding
every string and array in the schema makes the grammar close them: the answer stays valid and its time
bounded. A caption is bounded by its platform's limit (and ``MAX_CAPTION_CHARS``), hashtags by the cap.
(The tools still fit the caption by the platform's own counting rule afterwards.)
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

# llama.cpp refuses a grammar whose repetitions exceed its "sane defaults" (measured: a string of
# maxLength 1200 fails to parse — and takes llama-cpp-python's server down — 1000 works)
GRAMMAR_MAX_LENGTH = 1000
MAX_STRING_CHARS = 600  # any other text field (a script beat, a summary…)
MAX_CAPTION_CHARS = GRAMMAR_MAX_LENGTH  # a small model's caption; "shorter is better", the prompt says too
MAX_TAG_CHARS = 40
MAX_ITEMS = 12
# a hashtag: no space, no "#", not starting with a digit (small models answer "5" for "Hashtags: 5"); the
# pattern stays within what llama.cpp's grammar accepts (no \s), and bounds the length itself
HASHTAG_PATTERN = r'^[^ \t\n\r#0-9"\\][^ \t\n\r#"\\]{0,' + str(MAX_TAG_CHARS - 1) + "}$"


def bounded_schema(schema: type[BaseModel], request: Any = None) -> dict[str, Any]:
    """``schema``'s JSON schema with ``maxLength`` on every string and ``maxItems`` on every array.

    From ``request`` (when it has them): ``limit`` bounds a ``caption`` field, ``hashtags_max`` (or
    ``count``) a ``hashtags`` list. Bounds already in the schema are kept when tighter."""
    result = copy.deepcopy(schema.model_json_schema())
    limit = getattr(request, "limit", None)
    tags = getattr(request, "hashtags_max", None)
    if tags is None:
        tags = getattr(request, "count", None)
    _bound(
        result, limit=limit if isinstance(limit, int) else None, tags=tags if isinstance(tags, int) else None
    )
    return result


def _tighten(node: dict[str, Any], key: str, value: int) -> None:
    node[key] = min(node.get(key, value), value, GRAMMAR_MAX_LENGTH)


def _bound(node: Any, *, limit: int | None, tags: int | None, name: str = "") -> None:
    if isinstance(node, list):
        for item in node:
            _bound(item, limit=limit, tags=tags, name=name)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "string":
        cap = MAX_STRING_CHARS
        if name == "caption":
            cap = min(MAX_CAPTION_CHARS, limit) if limit else MAX_CAPTION_CHARS
        elif name == "hashtags":
            node.setdefault("pattern", HASHTAG_PATTERN)
            return
        _tighten(node, "maxLength", cap)
    elif kind == "array":
        _tighten(node, "maxItems", tags if name == "hashtags" and tags is not None else MAX_ITEMS)
        _bound(node.get("items"), limit=limit, tags=tags, name=name)
    for prop, sub in (node.get("properties") or {}).items():
        _bound(sub, limit=limit, tags=tags, name=prop)
    for sub in (node.get("$defs") or {}).values():
        _bound(sub, limit=limit, tags=tags)
    for key in ("anyOf", "allOf", "oneOf"):
        if key in node:
            _bound(node[key], limit=limit, tags=tags, name=name)


def fields_hint(schema: type[BaseModel]) -> str:
    """The fields the answer must have, from the schema's own descriptions.

    With ``json_object`` the schema only constrains the answer (a grammar): the model never reads it, so
    it is told, as OpenAI's structured outputs tell it (name: description)."""
    lines = ["Answer with one JSON object with these fields:"]
    for name, info in schema.model_fields.items():
        text = info.description or name
        args = getattr(info.annotation, "__args__", ())
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            parts = ", ".join(f"{n} ({f.description or n})" for n, f in args[0].model_fields.items())
            text = f"a list of objects, each with {parts}"
        lines.append(f"- {name}: {text}")
    return "\n".join(lines)
