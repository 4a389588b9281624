"""`tutorbot` command line. With no subcommand it runs the terminal tutor.

Each subcommand lives in the module that owns it; this file only wires them up, importing
lazily so that `tutorbot course validate` does not load Slack or Anthropic.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.event_loop import run as run_loop
from bot.event_loop import uvloop_installed
from bot.storage.embedded import DataFolderBusy, RedisServerNotFound


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tutorbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("terminal", help="take the course in this terminal (the default)")

    course = sub.add_parser("course", help="check, export or list course modules")
    course_sub = course.add_subparsers(dest="course_command", metavar="ACTION", required=True)
    for name, text in (("validate", "check a course folder"), ("export", "print a module as JSON")):
        p = course_sub.add_parser(name, help=text)
        p.add_argument(
            "path", nargs="?", help="a module folder or a folder of modules (default: the bundled course)"
        )
    course_sub.add_parser("list", help="list the modules the bot has").add_argument("path", nargs="?")

    lab = sub.add_parser("lab", help="try a lab's conversation without a platform")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    lab_ask = lab_sub.add_parser(
        "ask",
        help="send messages to a lab's advisor; one JSON line per message: message, reply, counted, sections",
    )
    lab_ask.add_argument("lab_id", metavar="LAB_ID", help="e.g. ml-engineer-lab")
    lab_ask.add_argument("message", metavar="MESSAGE", nargs="?", help="one message (or use --file)")
    lab_ask.add_argument("--file", metavar="PATH", help="messages, one a line ('-' reads standard input)")

    sim = sub.add_parser(
        "simulate", help="drive simulated learners through the module and print a JSON summary"
    )
    sim.add_argument("--learners", type=int, default=20)
    sim.add_argument("--accuracy", type=float, default=0.85)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument(
        "--cohort", help="enrol the simulated learners in this cohort (made when missing) and keep them"
    )
    sim.add_argument(
        "--tenant", default="sim:local", help="PLATFORM:TENANT of the cohort (default: sim:local)"
    )

    report = sub.add_parser("report", help="one row per learner of a cohort: progress, scores, last activity")
    report.add_argument(
        "cohort", help="PLATFORM:TENANT, e.g. slack:T0123ABCD (a Slack workspace) or discord:<guild id>"
    )
    report.add_argument("--format", choices=("csv", "json"), default="csv")

    cohort = sub.add_parser("cohort", help="run a /cohort subcommand from the shell (see `cohort help`)")
    cohort.add_argument("words", nargs="*", help="the subcommand and its words, as typed after /cohort")
    cohort.add_argument("--tenant", required=True, help="PLATFORM:TENANT, e.g. slack:T0123ABCD")
    cohort.add_argument("--as", dest="user", default="operator", help="the user id recorded in the audit log")
    cohort.add_argument("--out", default=".", help="folder for exported files (default: here)")
    cohort.add_argument(
        "--yes",
        action="store_true",
        help="confirm a reset without asking; with `schedule`: hand the nudges to the scheduler",
    )

    bench = sub.add_parser("bench", help="measure the engine against a local Redis and print figures")
    bench.add_argument("--learners", type=int, default=200)
    bench.add_argument("--concurrency", type=int, default=50)
    bench.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="run 1..N engine processes against one Redis at once and print events/s for each count",
    )
    bench.add_argument(
        "--cluster",
        action="store_true",
        help="without REDIS_URL: run against a local three-primary Redis Cluster it starts",
    )
    bench.add_argument(
        "--no-batch",
        action="store_true",
        help="send each commit on its own instead of pipelining the commits ready together",
    )
    bench.add_argument(
        "--raw-calls", type=int, default=20_000, help="EVALSHA calls in each raw round-trip loop"
    )
    bench.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop for the engine and the raw loop alike (auto: uvloop when installed)",
    )

    bench_cohort = sub.add_parser(
        "bench-cohort", help="time /cohort progress, export, items and chart on a large simulated cohort"
    )
    bench_cohort.add_argument("--learners", type=int, default=1000)
    bench_cohort.add_argument("--runs", type=int, default=5)

    slack = sub.add_parser("slack", help="run the Slack app (Socket Mode, or HTTP with --http)")
    slack.add_argument("--http", action="store_true", help="serve the Events API over HTTP at /slack/events")
    slack.add_argument("--port", type=int, default=3000)

    sub.add_parser("discord", help="run the Discord bot (gateway client; needs DISCORD_BOT_TOKEN)")

    scheduler = sub.add_parser(
        "scheduler", help="run timed jobs (nudges, lesson releases) apart from the bot processes"
    )
    scheduler.add_argument("--once", action="store_true", help="run what is due now and exit (for cron)")

    verify = sub.add_parser(
        "verify", help="check a certificate's verification code (needs CERTIFICATE_SECRET)"
    )
    verify.add_argument("code", metavar="CODE", nargs="+", help="the code printed on the certificate")

    sub.add_parser("keygen", help="print a new TOKEN_ENCRYPTION_KEY (encrypts Slack tokens at rest)")
    sub.add_parser(
        "reencrypt-tokens",
        help="re-encrypt stored Slack installations with the first key of TOKEN_ENCRYPTION_KEY",
    )
    forget = sub.add_parser(
        "forget-tenant", help="erase a tenant's learners and data, e.g. after the app was uninstalled"
    )
    forget.add_argument("tenant", help="PLATFORM:TENANT, e.g. slack:T0123ABCD or discord:<guild id>")
    forget.add_argument("--yes", action="store_true", help="really erase (without it: only count)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "terminal"
    try:
        if command == "course":
            from bot.course.cli import run_course_command

            return run_course_command(args.course_command, args.path)
        if command == "lab":
            from bot.lab_ask import run_lab_ask

            return run_loop(run_lab_ask(args.lab_id, args.message, args.file))
        if command == "simulate":
            from bot.simulate import run_simulation

            return run_loop(run_simulation(args.learners, args.accuracy, args.seed, args.cohort, args.tenant))
        if command == "report":
            from bot.reports import run_report

            return run_loop(run_report(args.cohort, args.format))
        if command == "cohort" and args.words[:1] == ["schedule"] and len(args.words) == 2:
            from bot.nudges.schedule_cli import run_schedule_listing

            return run_loop(run_schedule_listing(args.words[1], args.tenant, args.yes))
        if command == "cohort":
            from bot.cohorts.cli import run_cohort_command

            return run_loop(run_cohort_command(args.words, args.tenant, args.user, args.out, args.yes))
        if command == "bench-cohort":
            from bench.cohort_bench import run_cohort_bench

            return run_loop(run_cohort_bench(args.learners, args.runs))
        if command == "bench":
            if args.processes is not None:
                from bench.processes import run_processes

                return run_processes(
                    args.processes, args.learners, args.concurrency, args.cluster, args.raw_calls
                )
            from bench.engine_bench import run_bench

            if args.loop == "uvloop" and not uvloop_installed():
                print("uvloop is not installed: pip install 'tutorbot[fast]'", file=sys.stderr)
                return 2
            return run_loop(
                run_bench(args.learners, args.concurrency, args.cluster, args.raw_calls, not args.no_batch),
                args.loop,
            )
        if command == "slack":
            from bot.adapters.slack.runner import run_slack

            return run_loop(run_slack(http=args.http, port=args.port, long_lived=True))
        if command == "scheduler":
            from bot.scheduler.service import run_scheduler

            return run_loop(run_scheduler(args.once))

        if command == "verify":
            from bot.credentials.cli import run_verify

            return run_verify(" ".join(args.code))
        if command == "keygen":
            from bot.storage.token_cipher import new_key

            print(new_key())
            return 0
        if command == "reencrypt-tokens":
            from bot.adapters.slack.reencrypt import run_reencrypt

            return run_loop(run_reencrypt())
        if command == "forget-tenant":
            from bot.forget import run_forget_tenant

            return run_loop(run_forget_tenant(args.tenant, args.yes))
        if command == "discord":
            from bot.adapters.discord.runner import run_discord

            return run_loop(run_discord(long_lived=True))
        from bot.adapters.terminal import run_terminal

        return run_loop(run_terminal(long_lived=True))
    except (RedisServerNotFound, DataFolderBusy) as problem:
        print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
