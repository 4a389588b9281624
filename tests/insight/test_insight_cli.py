"""A facilitator tries insight without a platform: `tutorbot simulate --cohort` fills a cohort,
then `tutorbot cohort items|chart|reveal --tenant` work on it from the shell."""

from __future__ import annotations

import csv
import io
import json

from PIL import Image

from bot.cli import main


def test_simulated_cohort_then_items_chart_and_reveal_from_the_shell(
    redis_url, monkeypatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = ["--tenant", "sim:shell"]
    assert main(["simulate", "--learners", "12", "--cohort", "autumn", *tenant, "--seed", "4"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["cohort"] == "autumn" and summary["learners"] == 12 and summary["errors"] == 0

    assert main(["cohort", "progress", "autumn", *tenant]) == 0
    assert "12 enrolled · 12 started" in capsys.readouterr().out

    assert main(["cohort", "items", "autumn", *tenant]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 27 and all(int(row["answers"]) == 12 for row in rows)
    assert list(rows[0])[:4] == ["question", "answers", "facility", "discrimination"]

    picture = tmp_path / "funnel.png"
    assert main(["cohort", "chart", "autumn", "funnel", *tenant, "--out", str(picture)]) == 0
    assert "12 enrolled, 12 started" in capsys.readouterr().out
    assert Image.open(picture).size == (1080, 810)

    assert main(["cohort", "reveal", "autumn", "T2", *tenant, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "(12 first answers)" in out and "sim-" not in out
    assert (tmp_path / "autumn-T2.png").exists()
    assert main(["cohort", "chart", "autumn", "pie", *tenant]) == 2
    assert "funnel|scores|activity" in capsys.readouterr().out
