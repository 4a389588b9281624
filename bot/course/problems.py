"""What is wrong with a course folder: one `Problem` per finding, raised together as a `CourseError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding, e.g. `module-02/lesson-1.yaml: question ml-engineer-quiz-2, option c: text is empty`.

    `file` is shown relative to the folder that was checked; `item` names the place in the file
    (a unit or question id, a section heading, a line number) and may be empty for whole-file issues.
    """

    file: str
    item: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.item}" if self.item else self.file
        return f"{where}: {self.message}"


class CourseError(Exception):
    """A course folder that cannot be loaded, with every problem found in it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"course has {count} problem{'s' if count != 1 else ''}:\n{lines}")
