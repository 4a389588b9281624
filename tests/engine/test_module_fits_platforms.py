"""Every message the module produces fits Slack's and Discord's limits, and buttons round-trip."""

from __future__ import annotations

from bot.domain.messages import Message, ReplyProgress
from bot.render.actions import decode, encode
from bot.render.discord import render_discord, render_discord_answered, render_discord_draft
from bot.render.limits import discord_problems, slack_problems
from bot.render.slack import render_slack, render_slack_answered, render_slack_draft
from bot.render.terminal import render_terminal
from tests.engine.driver import Learner
from tests.engine.test_journey import LAB_MESSAGES, answer, practise_if_due, question_shown


class RecordingLearner(Learner):
    """Keeps every message it was ever shown."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.everything: list[Message] = []

    async def send(self, event):  # type: ignore[no-untyped-def]
        shown = await super().send(event)
        self.everything += shown
        return shown


async def walk_module(learner: RecordingLearner, module) -> None:
    await learner.command("start")
    for name in ("help", "menu", "progress"):
        await learner.command(name)
    await learner.say("what now?")  # an unexpected text
    await learner.command("resume")
    for lesson in module.lessons:
        if lesson.number > 1:
            await learner.open(lesson.id)
        await learner.press("next")
        await learner.press("back")
        await learner.read_lesson()
        await learner.press("open", lesson.quiz.id)
        for n, _ in enumerate(lesson.quiz.questions):
            await answer(learner, question_shown(learner, lesson.quiz.questions), n % 2 == 0)
        await learner.press("retake")
        await learner.open(lesson.lab.id)
        await learner.say("ok")
        await learner.say("x" * 2000)
        for text in LAB_MESSAGES:
            await learner.say(text)
    await learner.press("open", module.test.id)
    for attempt, right in enumerate((9, 15)):
        await learner.press("begin" if attempt == 0 or await practise_if_due(learner) else "retake")
        for n in range(len(module.test.questions)):
            await answer(learner, question_shown(learner, module.test.questions), n < right)
        for _ in range(4):  # every page of the review, then back to the result
            await learner.press("next")
    await learner.command("progress")


async def test_every_message_of_the_module_fits_slack_and_discord(make_engine, module):
    learner = RecordingLearner(make_engine())
    await walk_module(learner, module)
    messages = learner.everything
    assert len(messages) > 150
    problems: list[str] = []
    for message in messages:
        for payload in render_slack(message):
            problems += [f"slack {message.heading!r}: {p}" for p in slack_problems(payload)]
        for payload in render_discord(message):
            problems += [f"discord {message.heading!r}: {p}" for p in discord_problems(payload)]
        if message.choices:
            chosen = message.choices[0].label
            problems += [
                f"slack answered: {p}" for p in slack_problems(render_slack_answered(message, chosen))
            ]
            problems += [
                f"discord answered: {p}" for p in discord_problems(render_discord_answered(message, chosen))
            ]
        assert render_terminal(message).text or message.buttons
    for _, draft in learner.outbox.drafts or [(None, ReplyProgress(advisor="A", text="x" * 5000, turn=1))]:
        problems += slack_problems(render_slack_draft(draft)) + discord_problems(render_discord_draft(draft))
    assert problems == []


async def test_every_button_of_the_module_decodes_to_what_it_encodes(make_engine, module):
    learner = RecordingLearner(make_engine())
    await walk_module(learner, module)
    buttons = [b for m in learner.everything for b in m.buttons]
    for index, button in enumerate(buttons):
        press = decode(encode(button, index % 25), learner.actor)
        assert press is not None
        assert (press.action, press.arg, press.token) == (button.action, button.arg, button.token)
