"""`tutorbot bench --processes N`: N engine processes against one Redis, single server or Cluster."""

from __future__ import annotations

import json

import pytest


def test_bench_processes_prints_events_per_second_for_each_process_count(
    redis_target, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    for name, value in redis_target.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    args = ["bench", "--processes", "2", "--learners", "2", "--concurrency", "2", "--raw-calls", "200"]
    assert main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split() == ["processes", "events/s", "raw", "EVALSHA/s", "p99", "ms"]
    table = [line.split() for line in lines[2:4]]
    assert [row[0] for row in table] == ["1", "2"]
    summary = json.loads(lines[-1])
    assert summary["redis"] == f"REDIS_URL ({'cluster' if redis_target.cluster else 'single server'})"
    one, two = summary["counts"]
    assert (one["processes"], two["processes"]) == (1, 2)
    assert one["errors"] == two["errors"] == 0
    # Two processes of two learners each did twice the work of one.
    assert two["events"] == 2 * one["events"] > 2 * 80
    assert len(two["events_per_s_per_process"]) == 2
    for count, row in zip((one, two), table, strict=True):
        assert count["events_per_s"] > 0 and count["raw_round_trips_per_s"] > 0
        assert row[1] == f"{count['events_per_s']:,.0f}"
        # The learners' own time is taken out, never added.
        assert count["events_per_s_without_learners_summed"] >= sum(count["events_per_s_per_process"])


def test_scheduler_bench_runs_every_job_once_across_two_processes(
    redis_target, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.scheduler_bench import run

    for name, value in redis_target.env().items():
        monkeypatch.setenv(name, value)
    figures = run(jobs=400, processes=2, cluster=False)
    assert figures["delivered"] == 400 and figures["duplicates"] == 0
    assert sum(figures["ran_per_process"]) == 400
    assert figures["jobs_per_s"] > 0


def test_bench_prints_the_ratio_to_raw_round_trips_with_the_learners_time_taken_out(
    redis_target, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.engine_bench import run_bench
    from bot.event_loop import run

    for name, value in redis_target.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert run(run_bench(4, 4, False, 400, lab_turns=3, lab_pairs=2), "asyncio") == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["errors"] == 0 and figures["events"] > 4 * 80
    assert 0 < figures["learner_seconds"] < figures["seconds"]
    assert figures["events_per_s_without_learners"] > figures["events_per_s"]
    raw = figures["raw_round_trips_per_s"]
    assert raw == max(figures["raw_round_trips_per_s_runs"])
    assert figures["ratio_events_to_raw"] == round(figures["events_per_s_without_learners"] / raw, 3)
    # Every event's commands share pipelines: far fewer round trips than commands.
    assert figures["round_trips_per_event"] < figures["commands_per_event"]
    assert (figures["event_loop"], figures["parser"]) == ("asyncio", "hiredis")
    assert figures["lab"]["turn_3_ms"] > 0
