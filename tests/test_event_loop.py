"""The bot's commands run on uvloop when it is installed and on asyncio's loop without it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.event_loop import loop_name, run, running_loop_name


async def _first_card(data_dir: Path) -> tuple[str, str]:
    """A learner's first event through the whole runtime (embedded Redis, engine, store)."""
    from bot.domain.events import Actor, Command
    from bot.domain.outbox import CollectingOutbox
    from bot.runtime import open_runtime
    from bot.settings import Settings

    settings = Settings(redis_url="", redis_cluster=False, data_dir=data_dir, anthropic_api_key=None)
    async with open_runtime(settings) as runtime:
        outbox = CollectingOutbox()
        await runtime.engine.handle(
            Command(actor=Actor(platform="sim", tenant="t", user="u"), name="start"), outbox
        )
        return running_loop_name(), outbox.take()[0].heading or ""


@pytest.mark.parametrize("choice", ["asyncio", "uvloop"])
def test_the_runtime_serves_a_learner_on_either_loop(choice, tmp_path: Path) -> None:
    pytest.importorskip("uvloop")
    loop, heading = run(_first_card(tmp_path), choice)
    assert loop == choice
    assert heading.startswith("Welcome")


def test_auto_takes_uvloop_when_installed_and_asyncio_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")

    async def which() -> str:
        return running_loop_name()

    assert loop_name() == "uvloop" and run(which()) == "uvloop"
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed: importing it fails
    assert loop_name() == "asyncio" and run(which()) == "asyncio"
