"""The validator reports every kind of broken course folder clearly, naming file and item, and never crashes.

Each case copies the sample module into a temporary folder, breaks one thing, and checks the
problem that comes back.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.course.limits import FIELD_MAX, OPTION_MAX, TEXT_MAX, TITLE_MAX
from bot.course.loader import load_catalog, load_module
from bot.course.problems import CourseError, Problem
from bot.course.validation import validate_course

from .helpers import COURSE_DATA, MODULE_02, SAMPLE, SAMPLE_LESSON, copy_module, edit_yaml, replace_text

LESSON = f"module-99-sample/{SAMPLE_LESSON}"
TEST = "module-99-sample/test.yaml"
MODULE = "module-99-sample/module.yaml"


def lesson(folder: Path) -> Path:
    return folder / SAMPLE_LESSON


def question(data: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return data["quiz"]["questions"][index]


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]
    file: str
    item: str
    message: str


CASES = [
    Case(
        "yaml syntax error",
        lambda m: replace_text(lesson(m), "title: A Sample Lesson", 'title: "A Sample Lesson'),
        LESSON,
        "line ",
        "YAML syntax error",
    ),
    Case(
        "bad indentation",
        lambda m: replace_text(
            lesson(m), "  - heading: What a Lesson Holds", "   - heading: What a Lesson Holds"
        ),
        LESSON,
        "line ",
        "YAML syntax error",
    ),
    Case(
        "not utf-8",
        lambda m: lesson(m).write_bytes(lesson(m).read_bytes().replace("·".encode(), b"\xb7")),
        LESSON,
        "line 3",
        "is not UTF-8",
    ),
    Case("empty file", lambda m: lesson(m).write_text("", encoding="utf-8"), LESSON, "", "file is empty"),
    Case(
        "top level is a list",
        lambda m: lesson(m).write_text("- a\n- b\n", encoding="utf-8"),
        LESSON,
        "",
        "top level",
    ),
    Case(
        "key written twice",
        lambda m: replace_text(
            lesson(m), "          correct: true\n", "          correct: true\n          correct: false\n"
        ),
        LESSON,
        "line ",
        "'correct' appears twice",
    ),
    Case(
        "missing question id",
        lambda m: edit_yaml(lesson(m), lambda d: question(d).pop("id")),
        LESSON,
        "question 1",
        "id is missing",
    ),
    Case(
        "missing lab greeting",
        lambda m: edit_yaml(lesson(m), lambda d: d["lab"].pop("greeting")),
        LESSON,
        "lab sample-lesson-lab",
        "greeting is missing",
    ),
    Case(
        "invalid id",
        lambda m: edit_yaml(lesson(m), lambda d: d["quiz"].update(id="Sample Quiz")),
        LESSON,
        "quiz Sample Quiz",
        "id 'Sample Quiz' is not a valid id",
    ),
    Case(
        "duplicate id across files",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][1].update(id="sample-lesson-quiz-1")),
        TEST,
        "question sample-lesson-quiz-1",
        f"duplicate id: also used by a question in {LESSON}",
    ),
    Case(
        "duplicate id in one file",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][1].update(id="module-test-1")),
        TEST,
        "question module-test-1",
        "duplicate id: also used by a question earlier in this file",
    ),
    Case(
        "two correct options",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][0].update(correct=True)),
        LESSON,
        "question sample-lesson-quiz-1",
        "needs exactly one correct option, has 2",
    ),
    Case(
        "no correct option",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][0]["options"][0].pop("correct")),
        TEST,
        "question module-test-1",
        "needs exactly one correct option, has 0",
    ),
    Case(
        "duplicate option ids",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][2].update(id="a")),
        LESSON,
        "question sample-lesson-quiz-1",
        "duplicate option ids",
    ),
    Case(
        "one option only",
        lambda m: edit_yaml(
            m / "test.yaml", lambda d: d["questions"][0].update(options=d["questions"][0]["options"][:1])
        ),
        TEST,
        "question module-test-1",
        "has 1 option; a question needs 2 to 5",
    ),
    Case(
        "empty stem",
        lambda m: edit_yaml(lesson(m), lambda d: question(d).update(stem="   ")),
        LESSON,
        "question sample-lesson-quiz-1",
        "stem is empty",
    ),
    Case(
        "empty option text",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][1].update(text="")),
        LESSON,
        "question sample-lesson-quiz-1, option b",
        "text is empty",
    ),
    Case(
        "empty paragraph",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][1]["paragraphs"].append("")),
        LESSON,
        "section 'What a Lesson Holds', paragraph 3",
        "text is empty",
    ),
    Case(
        "empty feedback",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][1]["feedback"].update(incorrect="")),
        TEST,
        "question module-test-2",
        "feedback.incorrect is empty",
    ),
    Case(
        "distractor without a rationale",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][2].pop("why")),
        LESSON,
        "question sample-lesson-quiz-1, option c",
        "needs a `why`",
    ),
    Case(
        "blank rationale",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][0]["options"][1].update(why="  ")),
        TEST,
        "question module-test-1, option b",
        "needs a `why`",
    ),
    Case(
        "rationale on the correct option",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][1].update(why="It is right.")),
        LESSON,
        "question sample-lesson-quiz-1, option b",
        "takes no `why`",
    ),
    Case(
        "test question names an unknown lesson",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d["questions"][0].update(lesson="no-such-lesson")),
        TEST,
        "question module-test-1",
        "lesson 'no-such-lesson' is not a lesson of this module",
    ),
    Case(
        "test question names an unknown section",
        lambda m: edit_yaml(
            m / "test.yaml", lambda d: d["questions"][0].update(lesson="sample-lesson", section="Nowhere")
        ),
        TEST,
        "question module-test-1",
        "section 'Nowhere' is not a section of lesson 'sample-lesson'",
    ),
    Case(
        "quiz question names an unknown section",
        lambda m: edit_yaml(lesson(m), lambda d: question(d).update(section="Nowhere")),
        LESSON,
        "question sample-lesson-quiz-1",
        "section 'Nowhere' is not a section",
    ),
    Case(
        "empty heading",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][1].update(heading="")),
        LESSON,
        "section 2",
        "heading is empty",
    ),
    Case(
        "section without text",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][1].update(paragraphs=[])),
        LESSON,
        "section 'What a Lesson Holds'",
        "has no text",
    ),
    Case(
        "list without items",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][3].update(items=[], paragraphs=["Text."])),
        LESSON,
        "section 'The Parts'",
        "is a list section but has no items",
    ),
    Case(
        "quiz without questions",
        lambda m: edit_yaml(lesson(m), lambda d: d["quiz"].update(questions=[])),
        LESSON,
        "quiz sample-lesson-quiz",
        "has no questions",
    ),
    Case(
        "unknown field",
        lambda m: edit_yaml(lesson(m), lambda d: question(d).update(stme="typo")),
        LESSON,
        "question sample-lesson-quiz-1",
        "unknown field 'stme'",
    ),
    Case(
        "wrong type",
        lambda m: edit_yaml(lesson(m), lambda d: d["lab"].update(openers="Ask anything.")),
        LESSON,
        "lab sample-lesson-lab",
        "openers should be a list",
    ),
    Case(
        "number where text is expected",
        lambda m: edit_yaml(lesson(m), lambda d: d.update(title=2024)),
        LESSON,
        "lesson sample-lesson",
        "title should be text, not the number 2024",
    ),
    Case(
        "unknown section kind",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][2].update(kind="box")),
        LESSON,
        "section 'Real Case — The Sample, 2024'",
        "kind: Input should be",
    ),
    Case(
        "unknown unit in order",
        lambda m: edit_yaml(m / "module.yaml", lambda d: d["order"].insert(1, "sample-lesson-quizz")),
        MODULE,
        "order",
        "unknown unit 'sample-lesson-quizz'",
    ),
    Case(
        "unit missing from order",
        lambda m: edit_yaml(m / "module.yaml", lambda d: d["order"].remove("sample-lesson-lab")),
        MODULE,
        "order",
        f"lab 'sample-lesson-lab' (from {LESSON}) is missing from the order",
    ),
    Case(
        "unit twice in order",
        lambda m: edit_yaml(m / "module.yaml", lambda d: d["order"].append("sample-lesson")),
        MODULE,
        "order",
        "unit 'sample-lesson' is listed more than once",
    ),
    Case(
        "quiz before its lesson",
        lambda m: edit_yaml(
            m / "module.yaml",
            lambda d: d.update(
                order=["sample-lesson-quiz", "sample-lesson", "sample-lesson-lab", "module-test"]
            ),
        ),
        MODULE,
        "order",
        "quiz 'sample-lesson-quiz' comes before its lesson 'sample-lesson'",
    ),
    Case(
        "question in order",
        lambda m: edit_yaml(m / "module.yaml", lambda d: d["order"].append("module-test-1")),
        MODULE,
        "order",
        "'module-test-1' is a question, not a unit",
    ),
    Case(
        "title over the header limit",
        lambda m: edit_yaml(lesson(m), lambda d: d["quiz"].update(title="Q" * (TITLE_MAX + 1))),
        LESSON,
        "quiz sample-lesson-quiz",
        f"title is {TITLE_MAX + 1} characters; at most {TITLE_MAX} fit in a Slack header",
    ),
    Case(
        "module title over the header limit",
        lambda m: edit_yaml(m / "module.yaml", lambda d: d.update(title="M" * 200)),
        MODULE,
        "module module-99-sample",
        "title is 200 characters",
    ),
    Case(
        "option too long",
        lambda m: edit_yaml(lesson(m), lambda d: question(d)["options"][0].update(text="o" * 150)),
        LESSON,
        "question sample-lesson-quiz-1, option a",
        f"text is 150 characters; at most {OPTION_MAX}",
    ),
    Case(
        "paragraph too long",
        lambda m: edit_yaml(lesson(m), lambda d: d["sections"][0]["paragraphs"].append("p" * (TEXT_MAX + 1))),
        LESSON,
        "section 1, paragraph 2",
        f"at most {TEXT_MAX} fit in a Slack section",
    ),
    Case(
        "section body too long",
        lambda m: edit_yaml(
            lesson(m), lambda d: d["sections"][1].update(paragraphs=["p" * 2000, "q" * 2000])
        ),
        LESSON,
        "section 'What a Lesson Holds'",
        "the section as a whole is 4002 characters",
    ),
    Case(
        "definition too long",
        lambda m: edit_yaml(lesson(m), lambda d: d["key_terms"][0].update(definition="d" * (FIELD_MAX + 1))),
        LESSON,
        "key term 'Section'",
        f"definition is {FIELD_MAX + 1} characters; at most {FIELD_MAX} fit in a Discord embed field",
    ),
    Case(
        "greeting too long",
        lambda m: edit_yaml(lesson(m), lambda d: d["lab"].update(greeting="g" * 2000)),
        LESSON,
        "lab sample-lesson-lab",
        "greeting is 2000 characters",
    ),
    Case(
        "duplicate key term",
        lambda m: edit_yaml(
            lesson(m), lambda d: d["key_terms"].append({"term": "section", "definition": "Again."})
        ),
        LESSON,
        "key term 'section'",
        "is defined more than once",
    ),
    Case(
        "mojibake middle dot",
        lambda m: replace_text(lesson(m), "Lesson 1 · Sample", "Lesson 1 Β· Sample"),
        LESSON,
        "lesson sample-lesson",
        "label looks garbled ('Β·'",
    ),
    Case(
        "mojibake dash",
        lambda m: replace_text(lesson(m), "Real Case — The Sample", "Real Case â€” The Sample"),
        LESSON,
        "section 'Real Case â€” The Sample, 2024'",
        "heading looks garbled ('â€'",
    ),
    Case(
        "mojibake in an option",
        lambda m: replace_text(m / "test.yaml", "text: The story", "text: The storyÃ©"),
        TEST,
        "question module-test-1, option a",
        "text looks garbled ('Ã'",
    ),
    Case(
        "missing test file",
        lambda m: (m / "test.yaml").unlink(),
        TEST,
        "",
        "file is missing",
    ),
    Case(
        "no lesson files",
        lambda m: lesson(m).unlink(),
        "module-99-sample",
        "",
        "has no lesson files",
    ),
    Case(
        "yml file",
        lambda m: lesson(m).rename(m / "lesson-1-sample.yml"),
        "module-99-sample/lesson-1-sample.yml",
        "",
        "is not read: course files end in .yaml",
    ),
    Case(
        "duplicate lesson number",
        lambda m: (m / "lesson-2-copy.yaml").write_text(
            lesson(m)
            .read_text(encoding="utf-8")
            .replace("id: sample-lesson\n", "id: sample-copy\n")
            .replace("sample-lesson-", "sample-copy-"),
            encoding="utf-8",
        ),
        "module-99-sample/lesson-2-copy.yaml",
        "lesson sample-copy",
        f"number 1 is also used by lesson sample-lesson in {LESSON}",
    ),
    Case(
        "pass mark out of range",
        lambda m: edit_yaml(m / "test.yaml", lambda d: d.update(pass_mark=80)),
        TEST,
        "test",
        "pass_mark: Input should be less than or equal to 1",
    ),
]


def matching(problems: list[Problem], case: Case) -> list[Problem]:
    return [p for p in problems if p.file == case.file and case.item in p.item and case.message in p.message]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_problem_is_reported_naming_file_and_item(sample: Path, case: Case) -> None:
    case.breaks(sample)
    problems = validate_course(sample)
    assert matching(problems, case), "\n".join(map(str, problems))
    for problem in problems:
        line = str(problem)
        assert "\n" not in line and "Traceback" not in line
        assert line.startswith(problem.file)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_loading_a_broken_module_raises_course_error_with_the_same_problems(sample: Path, case: Case) -> None:
    case.breaks(sample)
    with pytest.raises(CourseError) as raised:
        load_module(sample)
    assert matching(raised.value.problems, case)
    assert str(matching(raised.value.problems, case)[0]) in str(raised.value)


def test_the_bundled_course_and_the_sample_are_sound() -> None:
    assert validate_course(COURSE_DATA) == []
    assert validate_course(MODULE_02) == []
    assert validate_course(SAMPLE) == []


def test_item_names_use_ids_and_headings(sample: Path) -> None:
    edit_yaml(lesson(sample), lambda d: question(d)["options"][1].update(text=""))
    [problem] = validate_course(sample)
    assert str(problem) == f"{LESSON}: question sample-lesson-quiz-1, option b: text is empty"


def test_many_problems_are_all_reported_at_once(sample: Path) -> None:
    replace_text(lesson(sample), "Lesson 1 · Sample", "Lesson 1 Β· Sample")
    edit_yaml(sample / "test.yaml", lambda d: d["questions"][0]["options"][0].pop("correct"))
    edit_yaml(sample / "module.yaml", lambda d: d.update(title="M" * 200))
    problems = validate_course(sample)
    assert {p.file for p in problems} == {LESSON, TEST, MODULE}


def test_a_folder_of_modules_is_checked_module_by_module(tmp_path: Path) -> None:
    good = copy_module(SAMPLE, tmp_path)
    bad = copy_module(SAMPLE, tmp_path / "more")
    (tmp_path / "more" / "module-99-sample").rename(tmp_path / "module-98-broken")
    bad = tmp_path / "module-98-broken"
    (tmp_path / "more").rmdir()
    edit_yaml(bad / "module.yaml", lambda d: d.update(id="module-98-broken"))
    edit_yaml(bad / "test.yaml", lambda d: d.update(title=""))
    problems = validate_course(tmp_path)
    assert [str(p) for p in problems] == ["module-98-broken/test.yaml: test module-test: title is empty"]
    assert good.exists()


def test_duplicate_module_ids_across_folders(tmp_path: Path) -> None:
    copy_module(SAMPLE, tmp_path)
    copy_module(SAMPLE, tmp_path / "x")
    (tmp_path / "x" / "module-99-sample").rename(tmp_path / "module-99-again")
    (tmp_path / "x").rmdir()
    problems = validate_course(tmp_path)
    assert [str(p) for p in problems] == [
        "module-99-sample/module.yaml: module module-99-sample: duplicate module id: also used by module-99-again/module.yaml"
    ]


def test_a_module_folder_without_module_yaml(tmp_path: Path) -> None:
    module = copy_module(SAMPLE, tmp_path)
    (module / "module.yaml").unlink()
    problems = validate_course(tmp_path)
    assert [str(p) for p in problems] == [
        "module-99-sample: has course files but no module.yaml, so it is not read as a module"
    ]
    with pytest.raises(CourseError):
        load_catalog(tmp_path)
    with pytest.raises(CourseError, match="no module.yaml here"):
        load_module(module)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "absent", "no such folder"),
        (lambda root: (root / "file.yaml").write_text("id: x\n") and root / "file.yaml", "is a file"),
        (lambda root: root, "no module.yaml here or in its subfolders"),
    ],
    ids=["missing", "file", "empty folder"],
)
def test_paths_that_are_not_courses(tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    [problem] = validate_course(make(tmp_path))
    assert message in problem.message


def test_truncated_files_never_crash_the_validator(tmp_path: Path) -> None:
    text = (SAMPLE / SAMPLE_LESSON).read_bytes()
    lab_starts = text.index(b"\nlab:")
    for cut in range(0, len(text), max(1, len(text) // 60)):
        module = copy_module(SAMPLE, tmp_path / str(cut))
        lesson(module).write_bytes(text[:cut])
        problems = validate_course(module)
        assert all(isinstance(p, Problem) and "\n" not in str(p) for p in problems)
        if cut <= lab_starts:  # the lab, at least, is missing (later cuts may leave valid YAML)
            assert problems, f"cut at {cut} went unnoticed"


def test_scrambled_files_never_crash_the_validator(tmp_path: Path) -> None:
    rng = random.Random(7)
    original = (MODULE_02 / "lesson-1-ml-engineer.yaml").read_bytes()
    for attempt in range(40):
        module = copy_module(MODULE_02, tmp_path / str(attempt))
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.choice(b":-[]{}\"'\n #&*!|>\t\xff")
        (module / "lesson-1-ml-engineer.yaml").write_bytes(bytes(data))
        for problem in validate_course(module):  # may find nothing if the change was harmless
            assert problem.file and "\n" not in str(problem)
