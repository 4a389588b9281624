"""Loading course modules from their folders.

A module folder holds `module.yaml` (id, number, title and the navigation `order`), one YAML file
per lesson (the lesson with its quiz and lab) and `test.yaml` (the module test). A course root
holds module folders; adding a module is adding a folder.

Loading runs every check in `checks`, so a module that loads is one that validates; anything
wrong is raised as a `CourseError` listing every problem, each naming its file and item.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from bot.course import checks
from bot.course.models import Frozen, Id, Lesson, Module, ModuleTest, Text
from bot.course.parse import parse
from bot.course.problems import CourseError, Problem
from bot.course.yamlfile import read_mapping

MODULE_FILE = "module.yaml"
TEST_FILE = "test.yaml"
COURSE_SUFFIX = ".yaml"

M = TypeVar("M", bound=BaseModel)


class ModuleFile(Frozen):
    """The contents of `module.yaml`."""

    id: Id
    number: int = Field(default=1, ge=1)
    title: Text
    order: tuple[Id, ...]


@dataclass(frozen=True)
class CourseReading:
    """Everything read from a course path: the modules that are sound, and every problem found."""

    modules: tuple[Module, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class Catalog(Mapping[str, Module]):
    """The modules of a course root, by id, in module-number order."""

    def __init__(self, modules: tuple[Module, ...]) -> None:
        self.modules = tuple(sorted(modules, key=lambda module: (module.number, module.id)))
        self._by_id = {module.id: module for module in self.modules}

    def __getitem__(self, module_id: str) -> Module:
        return self._by_id[module_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"Catalog({list(self._by_id)})"


def load_module(path: str | Path) -> Module:
    """Load the module in folder `path`, or raise `CourseError`."""
    folder = Path(path)
    if not (folder / MODULE_FILE).is_file():
        raise CourseError([Problem(str(folder), "", f"no {MODULE_FILE} here: not a module folder")])
    module, problems = read_module(folder, base=folder.resolve().parent)
    if problems or module is None:
        raise CourseError(problems)
    return module


def load_catalog(root: str | Path) -> Catalog:
    """Load every module folder under `root` (or `root` itself, if it is a module folder)."""
    reading = read_course(root)
    if reading.problems:
        raise CourseError(reading.problems)
    return Catalog(reading.modules)


def read_course(path: str | Path) -> CourseReading:
    """Read a module folder or a folder of modules. Never raises: problems are returned."""
    path = Path(path)
    folders, problems = find_module_folders(path)
    base = path.resolve().parent if folders == [path] else path
    modules: list[Module] = []
    first_file: dict[str, str] = {}
    for folder in folders:
        module, found = read_module(folder, base)
        problems += found
        if module is None:
            continue
        shown = _shown(folder / MODULE_FILE, base)
        earlier = first_file.setdefault(module.id, shown)
        if earlier != shown:
            problems.append(
                Problem(shown, f"module {module.id}", f"duplicate module id: also used by {earlier}")
            )
            continue
        modules.append(module)
    return CourseReading(tuple(modules), tuple(problems))


def find_module_folders(path: Path) -> tuple[list[Path], list[Problem]]:
    """`path` itself if it holds module.yaml, else its subfolders that do."""
    if not path.exists():
        return [], [Problem(str(path), "", "no such folder")]
    if not path.is_dir():
        return [], [
            Problem(
                str(path), "", "is a file: give a module folder (with module.yaml) or a folder of modules"
            )
        ]
    if (path / MODULE_FILE).is_file():
        return [path], []
    folders: list[Path] = []
    problems: list[Problem] = []
    for child in sorted(path.iterdir()):
        if not child.is_dir() or child.name.startswith((".", "_")):
            continue
        if (child / MODULE_FILE).is_file():
            folders.append(child)
        elif any(child.glob("*.yaml")):
            problems.append(
                Problem(
                    child.name, "", f"has course files but no {MODULE_FILE}, so it is not read as a module"
                )
            )
    if not folders and not problems:
        problems.append(
            Problem(str(path), "", f"no {MODULE_FILE} here or in its subfolders: no module to read")
        )
    return folders, problems


def read_module(folder: Path, base: Path) -> tuple[Module | None, list[Problem]]:
    """Read and check one module folder. Returns the module only when there is no problem."""
    problems: list[Problem] = []
    module_file = _shown(folder / MODULE_FILE, base)
    test_file = _shown(folder / TEST_FILE, base)

    header_data, found = read_mapping(folder / MODULE_FILE, module_file)
    problems += found
    header = _parse_part(ModuleFile, header_data, module_file, _root("module", header_data), problems)
    if header is not None:
        problems += checks.title_problems(header.title, module_file, f"module {header.id}")

    test: ModuleTest | None = None
    if (folder / TEST_FILE).is_file():
        test_data, found = read_mapping(folder / TEST_FILE, test_file)
        problems += found
        test = _parse_part(ModuleTest, test_data, test_file, _root("test", test_data), problems)
        if test is not None:
            problems += checks.test_problems(test, test_file)
    else:
        problems.append(
            Problem(test_file, "", "file is missing: every module needs a test.yaml with its module test")
        )

    lessons: list[tuple[Lesson, str]] = []
    lesson_files = _lesson_files(folder, base, problems)
    if not lesson_files:
        problems.append(
            Problem(_shown(folder, base), "", f"has no lesson files (one {COURSE_SUFFIX} file per lesson)")
        )
    for path in lesson_files:
        shown = _shown(path, base)
        data, found = read_mapping(path, shown)
        problems += found
        lesson = _parse_part(Lesson, data, shown, _root("lesson", data), problems)
        if lesson is not None:
            problems += checks.lesson_problems(lesson, shown)
            lessons.append((lesson, shown))

    if test is not None and len(lessons) == len(lesson_files):
        problems += checks.test_source_problems(test, [lesson for lesson, _ in lessons], test_file)
    refs = [ref for lesson, shown in lessons for ref in checks.lesson_refs(lesson, shown)]
    if test is not None:
        refs += checks.test_refs(test, test_file)
    problems += checks.duplicate_ids(refs)
    problems += _lesson_number_problems(lessons)
    # Check the order only when every part was read: a lesson that failed to parse would
    # otherwise show up again as "unknown unit" for each of its ids.
    if header is not None and test is not None and len(lessons) == len(lesson_files):
        problems += checks.order_problems(header.order, refs, module_file)

    if problems or header is None or test is None:
        return None, problems
    try:
        module = Module(
            id=header.id,
            number=header.number,
            title=header.title,
            order=header.order,
            lessons=tuple(lesson for lesson, _ in sorted(lessons, key=lambda pair: pair[0].number)),
            test=test,
        )
    except ValidationError as exc:  # the checks above should catch everything; never crash if not
        return None, [Problem(module_file, f"module {header.id}", error["msg"]) for error in exc.errors()]
    return module, []


def _parse_part(
    model: type[M], data: dict[str, Any] | None, file: str, root: str, problems: list[Problem]
) -> M | None:
    """Validate one file's data as `model`, adding its problems (garbled text included) to `problems`."""
    if data is None:
        return None
    problems += checks.garbled_text(data, file, root)
    part, found = parse(model, data, file, root)
    problems += found
    return part


def _lesson_files(folder: Path, base: Path, problems: list[Problem]) -> list[Path]:
    files = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in (MODULE_FILE, TEST_FILE):
            continue
        if path.suffix == COURSE_SUFFIX:
            files.append(path)
        elif path.suffix == ".yml":
            problems.append(
                Problem(_shown(path, base), "", f"is not read: course files end in {COURSE_SUFFIX}")
            )
    return files


def _root(kind: str, data: dict[str, Any] | None) -> str:
    """How problems name a file's own object: "lesson ml-engineer", or just "lesson" without an id."""
    part_id = data.get("id") if data else None
    return f"{kind} {part_id}" if isinstance(part_id, str) and part_id.strip() else kind


def _lesson_number_problems(lessons: list[tuple[Lesson, str]]) -> list[Problem]:
    first: dict[int, tuple[Lesson, str]] = {}
    problems = []
    for lesson, shown in lessons:
        earlier, earlier_file = first.setdefault(lesson.number, (lesson, shown))
        if earlier is not lesson:
            problems.append(
                Problem(
                    shown,
                    f"lesson {lesson.id}",
                    f"number {lesson.number} is also used by lesson {earlier.id} in {earlier_file}",
                )
            )
    return problems


def _shown(path: Path, base: Path) -> str:
    """`path` as problems show it: relative to the folder that was checked, module folder included."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)
