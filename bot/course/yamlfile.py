"""Reading one course YAML file into plain data, turning every failure into a `Problem`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from bot.course.problems import Problem


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key written twice in one mapping.

    Plain PyYAML keeps the last value silently, so a second `correct:` or `id:` typed into a
    hand-edited file would quietly win.
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: SafeLoader reports it below
                continue
            if duplicate:
                raise ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path, shown: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse `path` as a YAML mapping. `shown` is the file name used in problems.

    Returns the data, or None with the problems that stopped it from being read.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(shown, "", f"cannot be read ({exc.strerror or exc})")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, f"line {line}", "is not UTF-8 text: save the file as UTF-8")]
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        detail = exc.problem or "invalid YAML"
        if exc.context and exc.problem:
            detail = f"{detail} ({exc.context})"
        return None, [Problem(shown, where, f"YAML syntax error: {detail}")]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, "", f"YAML syntax error: {exc}")]
    if data is None:
        return None, [Problem(shown, "", "file is empty")]
    if not isinstance(data, dict):
        return None, [Problem(shown, "", "expected fields (`key: value` lines) at the top level")]
    return data, []
