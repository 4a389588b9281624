"""Reading and typing in a real terminal (a pty): wrapping, line editing, Ctrl-C, pasting."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect
import redis

from bot.adapters.terminal import terminal_actor
from bot.course.loader import load_module
from bot.render.terminal import display_width
from bot.storage.keys import KeyBuilder
from tests.processes import redis_servers_in

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"
MODULE = load_module(COURSE)
LESSON = MODULE.lessons[0]


def card_lines(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if line.strip()]


def words(text: str) -> str:
    return " ".join(text.split())


def test_text_wraps_at_word_boundaries_in_80_columns(tutors):
    tutor = tutors(columns=80)
    tutor.prompt()
    tutor.type("continue")
    screen = tutor.type("continue")  # card 3: the longest paragraphs of the lesson
    assert "Card 3 of" in screen
    lines = card_lines(screen)
    assert max(display_width(line) for line in lines) <= 79
    for paragraph in LESSON.sections[1].paragraphs:
        assert words(paragraph) in words(screen)  # every word whole, in order


def test_text_keeps_a_reading_measure_in_120_columns(tutors):
    tutor = tutors(columns=120)
    tutor.prompt()
    tutor.type("continue")
    screen = tutor.type("continue")
    widths = [display_width(line) for line in card_lines(screen)]
    assert max(widths) <= 88  # wider terminals do not mean longer lines
    assert max(widths) > 80  # but the room is used
    for paragraph in LESSON.sections[1].paragraphs:
        assert words(paragraph) in words(screen)


def test_lists_and_key_terms_hang_under_their_marks(tutors):
    tutor = tutors(columns=60)
    tutor.prompt()
    for _ in range(7):
        screen = tutor.type("continue")
    assert "Key terms" in screen
    term = LESSON.key_terms[0]
    first = f"  • {term.term} — "
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    assert lines[start + 1].startswith("    ") and not lines[start + 1].startswith("     ")
    assert words(f"{term.term} — {term.definition}") in words(screen)


def test_ctrl_c_at_the_prompt_quits_at_once_saying_progress_is_saved(tutors, tmp_path):
    tutor = tutors()
    tutor.prompt()
    tutor.type("continue")
    tutor.send("\x03")
    tutor.child.expect(pexpect.EOF)
    assert "Your progress is saved: run ./run.sh again to resume." in tutor.child.before
    tutor.child.wait()
    assert redis_servers_in(tmp_path / "redis") == []
    again = tutors()
    assert "Card 2 of" in again.prompt()


def test_ctrl_d_quits_too(tutors):
    tutor = tutors()
    tutor.prompt()
    tutor.send("\x04")
    tutor.child.expect(pexpect.EOF)
    assert "Your progress is saved" in tutor.child.before


def test_arrow_keys_recall_history_and_home_end_edit_the_line(tutors):
    tutor = tutors()
    tutor.prompt()
    assert "Pick a unit to open" in tutor.type("menu")
    assert "Pick a unit to open" not in tutor.type("resume")
    assert "Pick a unit to open" in tutor.enter("\x1b[A\x1b[A")  # up twice: `menu` again
    tutor.type("resume")
    # Type the middle, jump Home to add the start, End to add the end.
    screen = tutor.enter("ntin" + "\x1b[H" + "co" + "\x1b[F" + "ue")
    assert "Card 2 of" in screen


def test_a_multi_line_paste_is_one_message_to_the_advisor(tutors, tmp_path):
    tutor = tutors()
    tutor.prompt()
    for _ in range(8):
        tutor.type("continue")
    tutor.type("menu")
    assert "Exchanges: 0 of 3" in tutor.type("Lab 1")
    pasted = "How does an ML engineer notice model drift\nonce a model is serving real users?"
    screen = tutor.enter("\x1b[200~" + pasted + "\x1b[201~")
    assert screen.count("Exchanges: 1 of 3") == 1
    assert "didn't expect" not in screen
    client = redis.Redis(unix_socket_path=str(tmp_path / "redis" / "redis.sock"))
    key = KeyBuilder("tutorbot").lab(terminal_actor(), LESSON.lab.id)
    said = [json.loads(line) for line in client.lrange(key, 0, -1)]
    assert [turn["text"] for turn in said if turn["role"] == "learner"] == [pasted]
