"""The roster (at-risk first, paged, within limits), learner detail, and the exported CSVs."""

from __future__ import annotations

import csv
import io

from bot.cohorts.answers import MAX_SECTIONS, SECTION_CHARS, TOTAL_CHARS
from bot.cohorts.service import PAGE_SIZE
from bot.reports import cohort_report
from tests.cohorts.conftest import World, admin
from tests.engine.driver import Learner
from tests.engine.test_journey import answer, do_lessons_quizzes_labs, question_shown, sit_test

DAY = 24 * 3600


async def test_roster_puts_at_risk_learners_first_with_a_summary(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@UIDLE> <@UBUSY> <@UDONE> <@UNEW>")
    start = world.clock[0]
    idle = Learner(world.engine, user="UIDLE", tenant="T1")
    await idle.command("start")
    await idle.read_lesson()
    world.clock[0] = start + 2 * DAY
    done = Learner(world.engine, user="UDONE", tenant="T1")
    await done.command("start")
    await do_lessons_quizzes_labs(done, module)
    await done.press("open", module.test.id)
    await sit_test(done, module, right=14)
    world.clock[0] = start + 9 * DAY
    busy = Learner(world.engine, user="UBUSY", tenant="T1")
    await busy.command("start")
    await busy.read_lesson()

    roster = await world.say(boss, "progress spring")
    assert roster.ok and roster.sections[0] == "4 enrolled · 3 started · 1 passed · 2 at risk"
    rows = roster.text.split("\n\n")[2].splitlines()
    assert rows[0].startswith("⚠️ **not started in 9 days**") and "@UNEW " in rows[0]
    assert rows[1].startswith("⚠️ **inactive 9 days**") and "@UIDLE " in rows[1]
    assert "@UBUSY " in rows[2] and "@UDONE " in rows[3] and "passed" in rows[3]
    assert "test 14/15 (1 tries)" in rows[3] and "quizzes 3/3 3/3 3/3 3/3" in rows[3]


async def test_stuck_on_one_unit_is_flagged(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    for _ in range(5):  # comes back to the lab every day and never finishes it
        world.clock[0] += DAY
        await learner.say("ok")
    roster = await world.say(boss, "progress spring")
    assert "⚠️ **stuck on" in roster.sections[1] and "for 5 days" in roster.sections[1]


async def test_a_300_learner_roster_pages_within_platform_limits(world: World) -> None:
    boss = admin()
    await world.say(boss, "create big")
    users = [f"U{n:04d}" for n in range(300)]
    await world.say(boss, "enrol big " + " ".join(f"<@{u}>" for u in users))
    for user in users[:30]:
        await Learner(world.engine, user=user, tenant="T1").command("start")
    seen: list[str] = []
    answer_ = await world.say(boss, "progress big")
    pages = 0
    while True:
        pages += 1
        assert len(answer_.sections) <= MAX_SECTIONS
        assert all(len(section) <= SECTION_CHARS for section in answer_.sections)
        assert sum(map(len, answer_.sections)) + len(answer_.title) <= TOTAL_CHARS
        seen += answer_.text.split("\n\n", 2)[2].splitlines()
        following = [b for b in answer_.buttons if b.label == "Next"]
        if not following:
            break
        answer_ = await world.service.press(boss, "page", following[0].value)
    assert pages == 300 // PAGE_SIZE
    assert len(seen) == 300 and all(any(f"@{u} " in line for line in seen) for u in users)
    back = [b for b in answer_.buttons if b.label == "Previous"][0]
    assert (await world.service.press(boss, "page", back.value)).title == f"big · page {pages - 1} of {pages}"
    assert not (await world.say(boss, "progress big 99")).ok


async def test_learner_detail(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    detail = await world.say(boss, "learner spring <@U1>")
    text = detail.text
    assert detail.ok and "Lesson 1 quiz: done" in text and "Lab 4: done, 3 exchanges" in text
    assert "✅ Q1" in text and "Module test: not done" in text and "Not taken (0 begun)" in text
    assert "🧑 How much of the job is research" in text
    assert not (await world.say(boss, "learner spring <@U9>")).ok


async def test_export_files_parse_back_to_the_learners_real_progress(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    world.platform.names = {"U2": "Bea"}
    await world.say(boss, "enrol spring <@U1|ada> <@U2> <@U3>")
    one = Learner(world.engine, user="U1", tenant="T1")
    await one.command("start")
    await do_lessons_quizzes_labs(one, module)
    await one.press("open", module.test.id)
    await sit_test(one, module, right=12)
    two = Learner(world.engine, user="U2", tenant="T1")
    await two.command("start")
    await two.read_lesson()
    await two.press("open", module.lessons[0].quiz.id)
    wrong_first = question_shown(two, module.lessons[0].quiz.questions)
    await answer(two, wrong_first, False)

    exported = await world.say(boss, "export spring")
    assert exported.ok and len(exported.files) == 2
    learners = list(csv.DictReader(io.StringIO(exported.files[0].content.decode())))
    report = {row.user: row for row in await cohort_report(world.learners, module, "slack", "T1")}
    by_user = {row["user"]: row for row in learners}
    assert set(by_user) == {"U1", "U2", "U3"}
    assert by_user["U1"]["display_name"] == "ada" and by_user["U2"]["display_name"] == "Bea"
    for user in ("U1", "U2"):
        assert by_user[user]["status"] == report[user].status
        assert by_user[user]["test_best"] == report[user].test_best
        assert by_user[user]["L1 quiz"] == report[user].quizzes["L1"]
    assert by_user["U1"]["test_best"] == "12/15" and by_user["U3"]["status"] == "not started"

    answers = list(csv.DictReader(io.StringIO(exported.files[1].content.decode())))
    assert list(answers[0]) == ["learner", "question", "option_chosen", "correct", "time"]
    ones = [row for row in answers if row["learner"] == "U1"]
    assert len(ones) == 4 * 3 + len(module.test.questions)
    assert sum(row["correct"] == "yes" for row in ones) == 12 + 12
    twos = [row for row in answers if row["learner"] == "U2"]
    option = next(o for o in wrong_first.options if not o.correct)
    assert twos == [
        {
            "learner": "U2",
            "question": wrong_first.id,
            "option_chosen": option.text,
            "correct": "no",
            "time": twos[0]["time"],
        }
    ]
    assert twos[0]["time"].endswith("+00:00")


async def test_exporting_an_empty_cohort_says_so(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    empty = await world.say(boss, "export spring")
    assert not empty.ok and empty.title == "`spring` has no learners yet: there is nothing to export."
    assert empty.files == ()
