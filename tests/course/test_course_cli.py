"""`tutorbot course validate|export|list` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.course.loader import load_module
from bot.course.models import Module

from .helpers import MODULE_02, SAMPLE, copy_module, edit_yaml


def test_validate_the_bundled_course(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["course", "validate"]) == 0
    assert capsys.readouterr().out == "OK: module-02-technical-roles (4 lessons, 27 questions)\n"


def test_validate_a_module_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["course", "validate", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == "OK: module-99-sample (1 lesson, 3 questions)\n"


def test_validate_a_broken_folder_prints_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = copy_module(SAMPLE, tmp_path)
    edit_yaml(module / "test.yaml", lambda d: d["questions"][0]["options"][1].update(correct=True))
    (module / "lesson-1-sample.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    assert main(["course", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "FAILED: 2 problems"
    assert out[0].startswith("  module-99-sample/test.yaml: question module-test-1: ")
    assert "needs exactly one correct option, has 2" in out[0]
    assert out[1].startswith("  module-99-sample/lesson-1-sample.yaml: line 2, column 1: YAML syntax error")


def test_validate_reports_good_and_bad_modules_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_module(MODULE_02, tmp_path)
    broken = copy_module(SAMPLE, tmp_path)
    edit_yaml(broken / "module.yaml", lambda d: d["order"].pop())
    assert main(["course", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "OK: module-02-technical-roles (4 lessons, 27 questions)" in out
    assert "module-99-sample/module.yaml: order: test 'module-test'" in out


def test_validate_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["course", "validate", str(tmp_path / "nowhere")]) == 1
    assert "no such folder" in capsys.readouterr().out


def test_export_prints_the_module_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["course", "export"]) == 0
    out = capsys.readouterr().out
    assert "Module 2 — Technical Roles" in out  # real characters, not \\u escapes
    assert Module.model_validate(json.loads(out)) == load_module(MODULE_02)


def test_export_of_a_broken_module_fails_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = copy_module(SAMPLE, tmp_path)
    (module / "test.yaml").unlink()
    assert main(["course", "export", str(module)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "module-99-sample/test.yaml: file is missing" in captured.err


def test_export_needs_one_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy_module(MODULE_02, tmp_path)
    copy_module(SAMPLE, tmp_path)
    assert main(["course", "export", str(tmp_path)]) == 2
    assert "holds several modules" in capsys.readouterr().err
    assert main(["course", "export", str(tmp_path / "module-99-sample")]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "module-99-sample"


def test_list_the_modules_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy_module(MODULE_02, tmp_path)
    copy_module(SAMPLE, tmp_path)
    assert main(["course", "list", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "module-02-technical-roles  Module 2 — Technical Roles  (4 lessons, 27 questions)  module-02-technical-roles/",
        "module-99-sample  Module 99 — Sample Module  (1 lesson, 3 questions)  module-99-sample/",
    ]


def test_list_marks_a_broken_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = copy_module(SAMPLE, tmp_path)
    (module / "test.yaml").write_text("", encoding="utf-8")
    assert main(["course", "list", str(tmp_path)]) == 1
    assert capsys.readouterr().out.startswith(
        "module-99-sample/  INVALID: 1 problem (see `tutorbot course validate "
    )


def test_list_the_bundled_course(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["course", "list"]) == 0
    assert capsys.readouterr().out.startswith("module-02-technical-roles  Module 2 — Technical Roles")


def test_list_mentions_folders_that_are_not_modules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_module(SAMPLE, tmp_path)
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "lesson.yaml").write_text("id: draft\n", encoding="utf-8")
    assert main(["course", "list", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("module-99-sample  Module 99 — Sample Module")
    assert out[1] == "  drafts: has course files but no module.yaml, so it is not read as a module"


def test_unknown_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.course.cli import run_course_command

    assert run_course_command("publish", str(SAMPLE)) == 2
    assert "unknown course action 'publish'" in capsys.readouterr().err
