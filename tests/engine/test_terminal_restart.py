"""The terminal tutor in real processes: embedded Redis with AOF, so a restart resumes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.processes import clean_env


def run_tutor(data_dir: Path, lines: list[str]) -> str:
    env = clean_env("REDIS_", "ANTHROPIC_", "SLACK_")
    env["DATA_DIR"] = str(data_dir)
    env.pop("TUTORBOT_LAUNCHER", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=data_dir,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_restart_in_a_new_process_resumes_where_the_learner_was(tmp_path):
    first = run_tutor(tmp_path, ["continue", "continue", "quit"])
    assert "Welcome to Module 2" in first
    assert "offline advisor" in first  # says once that labs use the offline advisor
    assert "Card 3 of" in first and "What an ML Engineer Actually Does" in first
    assert first.rstrip().endswith("run python -m bot again to resume.")  # names how it was started

    second = run_tutor(tmp_path, ["back"])
    assert "Welcome" not in second
    assert "Card 3 of" in second.split("> back")[0]  # resumed on the same card
    assert "Card 2 of" in second.split("> back")[1]


def test_piped_session_answers_by_number_label_and_text(tmp_path):
    out = run_tutor(tmp_path, ["help", "2", "resume", "menu", "nonsense words here"])
    assert "How this works" in out
    assert "Pick a unit to open" in out  # "2" pressed the card's Menu button
    assert "I didn't expect a message here" in out
