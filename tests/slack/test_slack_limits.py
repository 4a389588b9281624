"""The whole module through the Slack adapter: every payload it sends is within Slack's limits."""

from __future__ import annotations

from bot.course.models import Module
from bot.render.limits import slack_problems
from bot.render.slack import SlackMessage
from tests.slack.harness import SlackHarness

LEARNER = "UWALKER"
LAB_MESSAGES = (
    "What does a typical week in this role look like, day to day?",
    "ok",  # too short to count: the advisor nudges
    "Which tools and skills should I learn first to be useful on the team?",
    "How does this role work with the other technical roles around it?",
)
MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"}
VIEW_MAX_BLOCKS = 100


async def walk_the_module(slack: SlackHarness, module: Module) -> None:
    user = LEARNER
    await slack.home_opened(user)
    await slack.command(user, "help")  # a newcomer: enrolled, everything in the DM
    await slack.command(user, "start")
    first_continue = slack.button(user, "next")
    for lesson in module.lessons:
        if lesson.number > 1:
            await slack.click(user, slack.button(user, "menu"))
            await slack.click(user, slack.button(user, "open", lesson.id))
        await slack.read_lesson(user)
        await slack.click(user, slack.button(user, "open", lesson.quiz.id))
        for n in range(len(lesson.quiz.questions)):
            await slack.answer(user, lesson.quiz.questions, correct=n != 0)
        await slack.click(user, slack.button(user, "menu"))
        await slack.click(user, slack.button(user, "open", lesson.lab.id))
        await slack.click(user, slack.button(user, "say", "0"))  # a suggested opener
        for text in LAB_MESSAGES:
            await slack.dm(user, text)
        assert "Lab complete" in slack.dm_text(user)
        await slack.home_opened(user)
    await slack.click(user, slack.button(user, "menu"))
    await slack.click(user, slack.button(user, "open", module.test.id))
    await slack.click(user, slack.button(user, "begin"))
    for n in range(len(module.test.questions)):
        await slack.answer(user, module.test.questions, correct=n >= 2)
    assert "Passed" in slack.dm_messages(user)[-1].text or "Passed" in slack.dm_text(user)
    await slack.command(user, "progress")
    await slack.command(user, "help")  # known now: ephemeral
    await slack.command(user, "nonsense")
    await slack.dm(user, "menu")
    await slack.dm(user, "hello there")  # nothing expects text here: a notice
    await slack.click(user, first_continue)  # stale: a notice
    await slack.home_opened(user)


def payload_problems(slack: SlackHarness) -> list[str]:
    problems: list[str] = []
    for n, call in enumerate(slack.api.calls):
        if call.method in MESSAGE_METHODS:
            message = SlackMessage(text=call.body.get("text", ""), blocks=call.body.get("blocks") or [])
            problems += [f"call {n} {call.method}: {p}" for p in slack_problems(message)]
        elif call.method == "views.publish":
            blocks = call.body["view"]["blocks"]
            if len(blocks) > VIEW_MAX_BLOCKS:
                problems.append(f"call {n} views.publish: {len(blocks)} blocks, more than {VIEW_MAX_BLOCKS}")
            for start in range(0, len(blocks), 50):  # the 50-block message limit does not apply to views
                page = SlackMessage(text="home", blocks=blocks[start : start + 50])
                problems += [f"call {n} views.publish: {p}" for p in slack_problems(page)]
    return problems


async def test_every_payload_of_the_whole_module_is_within_slack_limits(make_slack, module: Module) -> None:
    slack: SlackHarness = make_slack(edit_interval_s=0.01)
    await walk_the_module(slack, module)

    methods = {call.method for call in slack.api.calls}
    assert methods >= MESSAGE_METHODS | {"views.publish", "conversations.open"}
    assert len([c for c in slack.api.calls if c.method in MESSAGE_METHODS]) > 100
    assert payload_problems(slack) == []
    assert all(call.authorized for call in slack.api.calls if call.method != "response_url")
