"""`/cohort` through the real Bolt app and slack-sdk, against the fake Web API."""

from __future__ import annotations

import csv
import io
import json
import re

from bot.cohorts.service import PAGE_SIZE
from bot.render.limits import slack_problems
from bot.render.slack import SlackMessage
from bot.reports import cohort_report
from tests.engine.test_journey import LAB_MESSAGES
from tests.slack.harness import SlackHarness, command_body


def admins(slack_api, *users: str, owner: str | None = None) -> None:
    for user in users:
        slack_api.users[user] = {"is_admin": True, "profile": {"display_name": f"admin {user}"}}
    if owner:
        slack_api.users[owner] = {"is_owner": True}


async def test_rights_owner_admin_added_facilitator_plain_member_and_another_workspace(make_slack, slack_api):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN", owner="UOWNER")
    assert (await slack.cohort("UOWNER", "create spring")).text.startswith("*Cohort `spring` created")
    made = await slack.cohort("UADMIN", "create autumn")
    assert made.ephemeral and "created" in made.text
    refused = await slack.cohort("UPLAIN", "create winter")
    assert refused.text == "*Only workspace owners and admins can create cohorts.*"
    assert "only" in (await slack.cohort("UPLAIN", "progress spring")).text.lower()

    assert "now facilitates" in (await slack.cohort("UOWNER", "facilitator spring add <@UHELP>")).text
    assert (await slack.cohort("UHELP", "enrol spring <@U1>")).text.startswith("*Enrolled 1")
    assert "page 1 of 1" in (await slack.cohort("UHELP", "progress spring")).text
    assert "Only this cohort's facilitators" in (await slack.cohort("UHELP", "progress autumn")).text

    # An admin of another workspace (users.info says so) has no rights here.
    slack_api.users["UFOREIGN"] = {"is_admin": True, "team_id": "T2"}
    assert "Only this cohort's facilitators" in (await slack.cohort("UFOREIGN", "progress spring")).text
    # A request from another workspace is refused before it reaches the service.
    body = command_body(
        "T2", "UADMIN", "progress spring", response_url=slack_api.response_url("x"), command="/cohort"
    )
    response = await slack.dispatch(body, "application/x-www-form-urlencoded")
    assert "another workspace" in response.body


async def test_admin_rights_are_remembered_for_minutes_not_asked_per_command(make_slack, slack_api):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "list")
    await slack.cohort("UADMIN", "create autumn")
    asked = [call for call in slack_api.of("users.info") if call.body.get("user") == "UADMIN"]
    assert len(asked) == 1


async def test_every_subcommand_in_slack(make_slack, slack_api, module, store):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    slack_api.channel_members["CCOHORT1"] = [f"U{n:03d}" for n in range(1, 6)]
    slack_api.users["U001"] = {"profile": {"display_name": "Ada"}}
    assert "`help`: these words" in (await slack.cohort("UADMIN", "help")).text
    await slack.cohort("UADMIN", "create spring")
    enrolled = await slack.cohort("UADMIN", "enrol spring <#CCOHORT1|cohort> <@U900>")
    assert enrolled.text.startswith("*Enrolled 6 in `spring`")
    assert len(slack_api.of("conversations.members")) >= 1
    # Each new learner got a welcome DM with a Start button, which starts the course.
    assert "Welcome to" in slack.dm_text("U001")
    await slack.click("U001", slack.button("U001", "resume"))
    assert "The Machine Learning Engineer" in slack.dm_text("U001")
    await slack.read_lesson("U001")
    await slack.click("U001", slack.button("U001", "open", module.lessons[0].quiz.id))
    for _ in module.lessons[0].quiz.questions:
        await slack.answer("U001", module.lessons[0].quiz.questions, correct=True)

    assert "*spring*: 6 learners" in (await slack.cohort("UADMIN", "list")).text
    roster = await slack.cohort("UADMIN", "progress spring")
    assert "6 enrolled · 1 started · 0 passed · 0 at risk" in roster.text and "<@U001>" in roster.text
    detail = await slack.cohort("UADMIN", "learner spring <@U001>")
    assert "Lesson 1 quiz: done" in detail.text

    unlocked = await slack.cohort("UADMIN", "unlock spring <@U001> joined late")
    assert "Opened the module test for <@U001>" in unlocked.text
    assert "Your facilitator opened the module test for you." in slack.dm_text("U001")
    assert "Granted <@U001> 2 more" in (await slack.cohort("UADMIN", "attempts spring <@U001> +2")).text
    assert "granted you 2 more attempts" in slack.dm_text("U001")

    asked = await slack.cohort("UADMIN", "reset spring <@U001> quiz1 practice")
    assert [b["text"]["text"] for b in asked.buttons] == ["Confirm reset", "Cancel"]
    done = await slack.cohort_click("UADMIN", asked, "Confirm reset")
    assert "Reset Lesson 1 quiz for <@U001>" in done.text
    twice = await slack.cohort_click("UADMIN", asked, "Confirm reset")
    assert "already confirmed" in twice.text
    undone = await slack.cohort_click("UADMIN", done, "Undo")
    assert "Restored what the last reset took" in undone.text
    rows = {r.user: r for r in await cohort_report(store, module, "slack", "T1")}
    assert rows["U001"].quizzes["L1"] == "3/3"

    assert "Removed <@U900>" in (await slack.cohort("UADMIN", "remove spring <@U900>")).text
    assert "now facilitates" in (await slack.cohort("UADMIN", "facilitator spring add <@UHELP>")).text
    assert (
        "no longer facilitates" in (await slack.cohort("UADMIN", "facilitator spring remove <@UHELP>")).text
    )
    audit = (await slack.cohort("UADMIN", "audit spring")).text
    for word in ("create", "enrol", "unlock", "attempts", "reset", "undo", "remove", "facilitator add"):
        assert f"· {word}" in audit, word
    assert "“joined late”" in audit


async def test_export_uploads_two_csvs_to_the_facilitators_dm(make_slack, slack_api, module, store):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    slack_api.users["U002"] = {"profile": {"display_name": "Bea"}}
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "enrol spring <@U001> <@U002>")
    await slack.command("U002", "start")
    await slack.read_lesson("U002")
    await slack.dm("U002", "menu")
    await slack.click("U002", slack.button("U002", "open", module.lessons[0].lab.id))
    for text in LAB_MESSAGES:
        await slack.dm("U002", text)
    empty_first = await slack.cohort("UADMIN", "export autumn")
    assert "no cohort called" in empty_first.text

    exported = await slack.cohort("UADMIN", "export spring")
    assert "The files are in your DM with me." in exported.text
    files = {f.filename.split("-")[1]: f for f in slack_api.uploads}
    assert set(files) == {"learners", "answers"}
    assert all(f.channel == slack.dm_channel("UADMIN") for f in files.values())
    learners = {row["user"]: row for row in csv.DictReader(io.StringIO(files["learners"].content.decode()))}
    report = {row.user: row for row in await cohort_report(store, module, "slack", "T1")}
    assert learners["U002"]["display_name"] == "Bea" and learners["U002"]["labs_done"] == "1"
    assert learners["U002"]["status"] == report["U002"].status == "in progress"
    assert learners["U001"]["status"] == "not started"
    answers = list(csv.DictReader(io.StringIO(files["answers"].content.decode())))
    assert answers == []  # nobody has answered a question yet

    await slack.cohort("UADMIN", "create empty")
    nothing = await slack.cohort("UADMIN", "export empty")
    assert nothing.text == "*`empty` has no learners yet: there is nothing to export.*"
    assert len(slack_api.uploads) == 2


async def test_a_300_learner_roster_pages_within_block_kit_limits(make_slack, slack_api):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create big")
    users = [f"UL{n:04d}" for n in range(300)]
    slack_api.channel_members["CBIG"] = users
    assert (await slack.cohort("UADMIN", "enrol big <#CBIG|big>")).text.startswith("*Enrolled 300")
    page = await slack.cohort("UADMIN", "progress big")
    seen: set[str] = set()
    for number in range(1, 300 // PAGE_SIZE + 1):
        assert f"page {number} of {300 // PAGE_SIZE}" in page.text
        # Mentions are meant; anything else unescaped, or over a limit, is a problem.
        blocks = json.loads(re.sub(r"<@(UL\d{4})>", r"@\1", json.dumps(page.blocks)))
        assert slack_problems(SlackMessage(text=page.body["text"], blocks=blocks)) == []
        assert len(page.blocks) <= 50
        seen |= {u for u in users if f"<@{u}>" in page.text}
        if number < 300 // PAGE_SIZE:
            page = await slack.cohort_click("UADMIN", page, "Next")
            assert page.body.get("replace_original") is True
    assert seen == set(users)


async def test_bad_input_in_slack_gets_one_line(make_slack, slack_api):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    for text, says in (
        ("frobnicate", "I don't know `frobnicate`"),
        ("unlock spring <@U404>", "<@U404> is not in `spring`."),
        ("enrol spring <#CNOPE|secret>", "invite me to it"),
        ("enrol spring <!subteam^S1|@team>", "user groups can't be enrolled"),
        ("attempts spring <@U1> +0", "`+N` must be a positive number"),
    ):
        reply = await slack.cohort("UADMIN", text)
        assert reply.ephemeral and says in reply.text and "\n" not in reply.text, text


async def test_export_names_many_learners_from_users_list_pages(make_slack, slack_api):
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    learners = [f"UM{n:03d}" for n in range(60)]
    slack_api.channel_members["CMANY"] = learners
    for n, uid in enumerate(learners):
        slack_api.users[uid] = {"profile": {"display_name": f"Learner {n}"}}
    await slack.cohort("UADMIN", "create many")
    await slack.cohort("UADMIN", "enrol many <#CMANY|many>")
    before = len(slack_api.of("users.info"))
    await slack.cohort("UADMIN", "export many")
    assert len(slack_api.of("users.info")) == before  # no call per learner
    learners_csv = next(f for f in slack_api.uploads if "-learners-" in f.filename)
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(learners_csv.content.decode()))}
    assert rows["UM007"]["display_name"] == "Learner 7" and len(rows) == 60
