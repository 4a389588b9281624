"""Paths and small editing helpers shared by the course tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COURSE_DATA = REPO / "course_data"
MODULE_02 = COURSE_DATA / "module-02-technical-roles"
SAMPLE = REPO / "tests" / "fixtures" / "courses" / "module-99-sample"
SAMPLE_LESSON = "lesson-1-sample.yaml"


def copy_module(source: Path, root: Path) -> Path:
    """Copy a module folder into `root`, keeping its folder name; returns the copy."""
    return Path(shutil.copytree(source, root / source.name))


def edit_yaml(path: Path, change: Callable[[Any], object]) -> None:
    """Load `path`, let `change` mutate the data in place, and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
