"""Loading modules and catalogs: a second module is a new folder, with no code change."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.course.loader import Catalog, load_catalog, load_module
from bot.course.models import Module, UnitKind
from bot.course.problems import CourseError
from bot.settings import Settings

from .helpers import COURSE_DATA, MODULE_02, SAMPLE, copy_module


def test_module_2_loads_with_its_units_in_order(module02: Module) -> None:
    assert module02.id == "module-02-technical-roles"
    assert module02.number == 2
    assert module02.title == "Module 2 — Technical Roles"
    assert [lesson.number for lesson in module02.lessons] == [1, 2, 3, 4]
    assert [unit.id for unit in module02.units][:3] == ["ml-engineer", "ml-engineer-quiz", "ml-engineer-lab"]
    assert module02.units[-1].kind is UnitKind.TEST
    assert module02.pass_mark == 0.8


def test_the_bundled_catalog_is_the_settings_course_dir() -> None:
    assert Settings().course_dir.resolve() == COURSE_DATA.resolve()
    catalog = load_catalog(COURSE_DATA)
    assert list(catalog) == ["module-02-technical-roles"]
    assert catalog["module-02-technical-roles"] == load_module(MODULE_02)


def test_a_catalog_lists_every_module_folder_under_its_root(tmp_path: Path) -> None:
    copy_module(MODULE_02, tmp_path)
    copy_module(SAMPLE, tmp_path)
    catalog = load_catalog(tmp_path)
    assert isinstance(catalog, Mapping)
    assert len(catalog) == 2
    assert list(catalog) == ["module-02-technical-roles", "module-99-sample"]  # by module number
    assert [module.id for module in catalog.modules] == list(catalog)
    assert catalog["module-99-sample"].test.pass_score == 1
    assert catalog.get("module-01-missing") is None


def test_catalog_order_follows_module_numbers_not_folder_names(tmp_path: Path) -> None:
    copy_module(SAMPLE, tmp_path).rename(tmp_path / "a-sample")
    copy_module(MODULE_02, tmp_path).rename(tmp_path / "z-module-2")
    assert list(load_catalog(tmp_path)) == ["module-02-technical-roles", "module-99-sample"]


def test_a_module_folder_is_also_a_catalog_of_one() -> None:
    catalog = load_catalog(SAMPLE)
    assert list(catalog) == ["module-99-sample"]
    assert isinstance(catalog, Catalog)


def test_sample_module_shape() -> None:
    module = load_module(SAMPLE)
    [lesson] = module.lessons
    assert lesson.lab.exchanges_required == 2
    assert lesson.sections[3].items[1].text == ""
    assert lesson.sections[3].body == "Sections: Headed text in source order.\nKey terms"
    assert len(module.test.questions) == 2


def test_a_broken_module_in_a_catalog_stops_the_catalog(tmp_path: Path) -> None:
    copy_module(SAMPLE, tmp_path)
    broken = copy_module(MODULE_02, tmp_path)
    (broken / "test.yaml").write_text("id: [\n", encoding="utf-8")
    with pytest.raises(CourseError) as raised:
        load_catalog(tmp_path)
    assert [p.file for p in raised.value.problems] == ["module-02-technical-roles/test.yaml"]
    assert "YAML syntax error" in str(raised.value)


def test_lessons_are_ordered_by_number_whatever_the_file_names(tmp_path: Path) -> None:
    module = copy_module(MODULE_02, tmp_path)
    (module / "lesson-1-ml-engineer.yaml").rename(module / "zz-first.yaml")
    assert [lesson.id for lesson in load_module(module).lessons][0] == "ml-engineer"
