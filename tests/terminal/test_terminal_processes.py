"""Several processes on one data folder, and a tutor killed outright: nothing lost, one server."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys

from bot.adapters.terminal import terminal_actor
from tests.processes import redis_servers_in, wait_until
from tests.terminal.tutor import TIMEOUT, tutor_env


def test_two_tutors_on_one_folder_share_one_server_and_lose_nothing(tutors, tmp_path):
    first = tutors()
    first.prompt()
    first.type("continue")
    assert "Card 3 of" in first.type("continue")
    servers = redis_servers_in(tmp_path / "redis")
    assert len(servers) == 1

    second = tutors()
    assert "Card 3 of" in second.prompt()  # the same learner, where they are
    assert redis_servers_in(tmp_path / "redis") == servers  # joined, not a second server
    assert "Card 4 of" in second.type("continue")
    assert "Card 5 of" in first.type("continue")  # builds on the other tutor's step
    assert "Card 6 of" in second.type("continue")

    first.quit_and_wait()  # the owner leaves: the other tutor takes the server over
    assert "Card 7 of" in second.type("continue")
    assert len(redis_servers_in(tmp_path / "redis")) == 1
    second.quit_and_wait()
    wait_until(lambda: redis_servers_in(tmp_path / "redis") == [], timeout=TIMEOUT, what="no server")

    third = tutors()
    assert "Card 7 of" in third.prompt()


def test_kill_9_of_the_tutor_leaves_no_server_and_resumes_exactly(tutors, tmp_path):
    tutor = tutors()
    tutor.prompt()
    for _ in range(3):
        screen = tutor.type("continue")
    assert "Card 4 of" in screen
    assert len(redis_servers_in(tmp_path / "redis")) == 1
    os.kill(tutor.child.pid, signal.SIGKILL)
    wait_until(lambda: redis_servers_in(tmp_path / "redis") == [], timeout=TIMEOUT, what="server to stop")

    again = tutors()
    resumed = again.prompt()
    assert "Card 4 of" in resumed and "Welcome" not in resumed


def test_report_beside_a_running_tutor_joins_its_server_and_keeps_its_socket(tutors, tmp_path):
    tutor = tutors()
    tutor.prompt()
    tutor.type("continue")
    socket_path = tmp_path / "redis" / "redis.sock"
    servers = redis_servers_in(tmp_path / "redis")

    report = subprocess.run(
        [sys.executable, "-m", "bot", "report", "terminal:local"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=tmp_path,
        env=tutor_env(tmp_path),
    )
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert [row["user"] for row in rows] == [terminal_actor().user]
    assert rows[0]["status"] == "in progress" and rows[0]["current"] == "Lesson 1"

    assert socket_path.exists()
    assert redis_servers_in(tmp_path / "redis") == servers
    assert "Card 3 of" in tutor.type("continue")  # the tutor carries on
