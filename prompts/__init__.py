"""Prompt templates as files and platform rules as data.

``render(name, **vars)`` renders ``templates/<name>.j2`` and refuses a missing variable, so a prompt never
goes out with a hole in it.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

TEMPLATE_DIR = Path(__file__).parent / "templates"
EXAMPLES_FILE = Path(__file__).parent / "examples.toml"


class MissingVariable(KeyError):
    """A template was rendered without one of the variables it uses."""


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - prompts are plain text for a model, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.j2"))


@cache
def required_variables(name: str) -> frozenset[str]:
    env = _env()
    assert env.loader is not None
    source = env.loader.get_source(env, f"{name}.j2")[0]
    return frozenset(jinja2.meta.find_undeclared_variables(env.parse(source)))


def render(name: str, **variables: Any) -> str:
    """Render the named template; raises :class:`MissingVariable` naming every variable not given."""
    if name not in template_names():
        raise KeyError(f"No prompt template named {name!r}; have: {', '.join(template_names())}")
    missing = required_variables(name) - variables.keys()
    if missing:
        raise MissingVariable(f"Template {name!r} needs: {', '.join(sorted(missing))}")
    text = _env().get_template(f"{name}.j2").render(**variables)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@cache
def _all_examples() -> dict[str, tuple[dict[str, Any], ...]]:

    data = tomllib.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    out = {}
    for task, items in data.items():
        if task not in template_names():
            raise ValueError(f"examples.toml names a task without a template: {task!r}")
        for item in items:
            if set(item) != {"request", "answer"}:
                raise ValueError(f"examples.toml [[{task}]] entries need exactly `request` and `answer`")
        out[task] = tuple(items)
    return out


def examples(task: str) -> tuple[dict[str, Any], ...]:
    """The worked examples (``{"request": {...}, "answer": {...}}``) a model is shown for ``task``."""
    return _all_examples().get(task, ())
