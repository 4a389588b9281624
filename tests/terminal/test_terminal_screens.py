"""What the learner sees in a real terminal: numbers that keep their meaning, the lab talk."""

from __future__ import annotations

from pathlib import Path

from bot.course.loader import load_module

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"
LESSON = load_module(COURSE).lessons[0]


def read_first_lesson(tutor) -> None:
    tutor.prompt()
    for _ in range(8):
        tutor.type("continue")


def test_a_typo_gets_choose_and_the_same_buttons_and_numbers_keep_their_meaning(tutors):
    tutor = tutors()
    tutor.prompt()
    tutor.type("continue")
    for typo in ("B", "7", "(2)", "option 2"):
        screen = tutor.type(typo)
        assert "Choose 1–3 (or type the option's text)." in screen
        assert "[1] Back   [2] Continue   [3] Menu" in screen
    notice = tutor.type("some words that are not a button")
    assert "didn't expect a message here" in notice and "[1]" not in notice
    assert "Card 3 of" in tutor.type("2")  # still Continue: the notice renumbered nothing


def test_letters_choose_quiz_answers(tutors):
    tutor = tutors()
    read_first_lesson(tutor)
    first = tutor.type("1")  # Continue: Lesson 1 quiz
    assert "1/3" in first and "  4. " in first
    answered = tutor.type("b")
    assert "You answered" in answered and "2/3" in answered
    assert "Choose 1–5, A–D for an answer" in tutor.type("E")


def test_lab_talk_reads_apart_from_the_prompt_and_returning_shows_the_last_turns(tutors):
    tutor = tutors()
    read_first_lesson(tutor)
    tutor.type("menu")
    tutor.type("Lab 1")
    screen = tutor.type("1")  # a suggested opener
    opener = LESSON.lab.openers[0]
    assert f"You: {opener.split()[0]}" in screen
    assert " ".join(screen.split()).count(" ".join(opener.split())) == 1
    assert f"{LESSON.lab.advisor}" in screen and "│ " in screen  # the lesson quoted with a bar
    assert not any(line.startswith(">") for line in screen.splitlines())
    reply_lines = screen.split(f"{LESSON.lab.advisor}", 1)[1].splitlines()[1:]
    assert all(line.startswith("    ") for line in reply_lines if line.strip() and "Exchanges" not in line)

    tutor.type("menu")
    tutor.type("Lesson 1")
    tutor.type("menu")
    back = tutor.type("Lab 1")
    assert "Earlier in this lab:" in back
    earlier = back.split("Earlier in this lab:", 1)[1]
    assert f"You: {opener.split()[0]}" in earlier and f"{LESSON.lab.advisor}" in earlier
