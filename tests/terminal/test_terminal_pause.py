"""`pause` and `resume` typed in the terminal tutor: the pause is recorded and says how to undo
it; `resume` clears it (and says so only then), and still shows where the learner is. In a lab
the typed word is the learner's own, to the advisor."""

from __future__ import annotations

from tests.terminal.test_terminal_screens import LESSON, read_first_lesson


def test_pause_says_how_to_undo_it_and_resume_turns_nudges_back_on(tutors):
    tutor = tutors()
    tutor.prompt()
    tutor.type("continue")
    paused = " ".join(tutor.type("pause").split())  # as one line, however the screen wrapped it
    assert "Nudges are off" in paused and "Type `resume` to turn them back on" in paused
    assert "Card 2 of" not in paused  # a pause does not show the step again
    resumed = tutor.type("resume")
    assert "Nudges are back on" in resumed and "Card 2 of" in resumed
    again = tutor.type("resume")
    assert "Nudges are back on" not in again and "Card 2 of" in again  # not paused: just the step
    assert "`pause`: no reminders from the course until you `resume`" in " ".join(tutor.type("help").split())


def test_pause_typed_in_a_lab_is_said_to_the_advisor_and_pauses_nothing(tutors):
    tutor = tutors()
    read_first_lesson(tutor)
    tutor.type("menu")
    tutor.type("Lab 1")
    said = " ".join(tutor.type("pause").split())
    assert "Nudges are off" not in said
    assert LESSON.lab.advisor in said and "Exchanges:" in said  # a turn of the lab talk
    tutor.type("menu")
    tutor.type("Lesson 1")
    paused = " ".join(tutor.type("pause").split())  # out of the lab the word pauses nudges
    assert "Nudges are off" in paused
