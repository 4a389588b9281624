"""The suite's guard against a hang: a test that hangs fails by name after the per-test timeout
set in `pyproject.toml` (and so does a teardown stuck behind it), and the tests after it still run
(on the same event loop)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.processes import PROJECT, clean_env

HANGING = """
import asyncio

import pytest


@pytest.fixture
async def stuck_behind_the_test():
    yield
    await asyncio.Event().wait()  # its teardown waits on what the test hung on


@pytest.mark.timeout(1)
async def test_hangs_on_the_loop(stuck_behind_the_test):
    await asyncio.Event().wait()


async def test_after_it():
    await asyncio.sleep(0)
"""


def test_a_hung_test_fails_by_name_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hanging.py").write_text(HANGING)
    settings = ["-c", str(PROJECT / "pyproject.toml"), "--rootdir", str(tmp_path), "-p", "no:cacheprovider"]
    settings += ["-o", "addopts=", "-p", "tests.conftest"]  # not quiet (the header says the timeout)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *settings, "-rA", "test_hanging.py"],
        cwd=tmp_path,
        env={**clean_env("PYTEST_"), "PYTHONPATH": str(PROJECT)},  # its own temporary folders
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "timeout: 120.0s" in result.stdout  # the suite's default, for every test
    assert "FAILED test_hanging.py::test_hangs_on_the_loop - Failed: Timeout (>1.0s)" in result.stdout
    assert "ERROR test_hanging.py::test_hangs_on_the_loop - Failed: Timeout" in result.stdout  # teardown
    assert "PASSED test_hanging.py::test_after_it" in result.stdout
    assert result.returncode == 1
