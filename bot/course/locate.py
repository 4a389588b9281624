"""Human names for places inside a course file, used in problem messages.

A pydantic error location such as `('quiz', 'questions', 1, 'options', 2, 'text')` becomes the
item "question ml-engineer-quiz-2, option c" and the field "text", read from the file's own
data so that the ids and headings the author typed are the ones shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# List fields whose elements get a name of their own, and what one element is called.
_ELEMENT = {
    "sections": "section",
    "paragraphs": "paragraph",
    "items": "item",
    "key_terms": "key term",
    "questions": "question",
    "options": "option",
    "openers": "opener",
    "order": "order entry",
}
# Units and questions have ids unique in the whole module, so naming them alone is enough.
_GLOBAL_ID_KEYS = {"quiz", "lab", "questions"}


def locate(data: Any, loc: Sequence[str | int], root: str = "") -> tuple[str, str]:
    """Return (item, field) for `loc` inside `data`. `root` names the file's own object, if any."""
    labels: list[str] = []
    field: list[str] = []
    node: Any = data
    parent: str | int | None = None
    for step in loc:
        child = _child(node, step)
        if isinstance(step, int) and isinstance(parent, str) and parent in _ELEMENT:
            name = f"{_ELEMENT[parent]} {_name(child, step)}"
            labels = [name] if parent in _GLOBAL_ID_KEYS and _has_id(child) else [*labels, name]
            field = []
        elif step in _GLOBAL_ID_KEYS and _has_id(child):
            labels = [f"{step} {child['id']}"]
            field = []
        else:
            field.append(str(step))
        parent = step
        node = child
    return ", ".join(labels) or root, ".".join(field)


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _has_id(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("id"), str) and bool(node["id"].strip())


def _name(node: Any, index: int) -> str:
    if _has_id(node):
        return str(node["id"])
    if isinstance(node, dict):
        for key in ("heading", "term", "label"):
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                return repr(_shorten(value.strip()))
    return str(index + 1)  # authors count from one


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
