"""`tutorbot lab ask`: one JSON line per message, through the real lab flow and offline advisor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")
    monkeypatch.setenv("COURSE_DIR", str(ROOT / "course_data"))
    monkeypatch.setenv("MODULE_ID", "module-02-technical-roles")


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_one_message_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "ask", "mlops-lab", "What open-source tools are best for a small team?"]) == 0
    [line] = lines(capsys)
    assert set(line) == {"message", "reply", "counted", "sections"}
    assert line["message"] == "What open-source tools are best for a small team?"
    assert line["counted"] is True
    assert line["sections"] == ["The MLOps Stack"]
    assert "MLflow" in str(line["reply"]) or "Airflow" in str(line["reply"])


def test_a_file_is_one_conversation_a_message_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "messages.txt"
    script.write_text(
        "Ask what tools matter most on day one.\n"
        "Ask what tools matter most on day one.\n"
        "\n"
        "What is the weather like in Paris this weekend?\n"
        "Is quantization worth the accuracy loss when serving a model?\n"
        "How much are ML engineers paid at startups compared with big tech?\n",
        encoding="utf-8",
    )
    assert main(["lab", "ask", "ml-engineer-lab", "--file", str(script)]) == 0
    out = lines(capsys)
    assert [line["counted"] for line in out] == [True, False, False, True, True]
    assert "outside what this lab is about" in str(out[2]["reply"]) and out[2]["sections"] == []
    assert "offline advisor" in str(out[0]["reply"]).lower()
    assert all("offline advisor" not in str(line["reply"]).lower() for line in out[1:])
    assert "Recap: that completes" in str(out[-1]["reply"])
    assert out[-1]["sections"][0] == "Salary Context (2024 US Market)"


def test_an_unknown_lab_is_named_with_the_labs_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "ask", "no-such-lab", "Hello there, what is this?"]) == 2
    err = capsys.readouterr().err
    assert "no lab 'no-such-lab'" in err and "ml-engineer-lab" in err


def test_no_message_is_a_clear_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "ask", "ml-engineer-lab"]) == 2
    assert "give a MESSAGE or --file PATH" in capsys.readouterr().err


def _conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lab_id: str, *messages: str
) -> list[dict]:
    script = tmp_path / "messages.txt"
    script.write_text("\n".join(messages) + "\n", encoding="utf-8")
    assert main(["lab", "ask", lab_id, "--file", str(script)]) == 0
    return lines(capsys)


def test_lab_4_recap_lists_the_learners_three_pieces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _conversation(
        tmp_path,
        capsys,
        "mlops-lab",
        "First I would set up monitoring with drift alerts on the churn model.",
        "Second, a model registry so every deployed version can be rolled back.",
        "Third, CI/CD for ML so new models ship through an automated deployment pipeline.",
    )
    assert [line["counted"] for line in out] == [True, True, True]
    recap = str(out[-1]["reply"]).rsplit("Recap:", 1)[1]
    assert (
        "Your 3 infrastructure pieces: 1. monitoring and drift detection; 2. a model registry; "
        "3. automated deployment (CI/CD for ML)." in recap
    )


def test_lab_4_recap_asks_for_the_missing_piece(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _conversation(
        tmp_path,
        capsys,
        "mlops-lab",
        "Ask which MLOps component provides the most immediate value in a fragile manual deployment setup.",
        "I think monitoring comes first, because nobody knows when the churn model degrades.",
        "Then a feature store, so training and serving compute features the same way.",
    )
    assert [line["counted"] for line in out] == [True, True, True]
    recap = str(out[-1]["reply"]).rsplit("Recap:", 1)[1]
    assert "So far your design has monitoring and drift detection and a feature store." in recap
    assert "Which one more piece would you build, and why?" in recap


async def test_with_claude_the_verdict_decides_what_counts(
    anthropic_server, api_key, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.lab_ask import run_lab_ask
    from tests.fakes.anthropic_server import Reply

    monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    anthropic_server.script(
        Reply(text="<verdict>off-topic</verdict>\nLet's keep to your interview: what would you ask?"),
        Reply(text="<verdict>on-topic</verdict>\nPython, PyTorch and Docker first."),
    )
    before = len(anthropic_server.requests)
    script = "What's the weather like in Paris?\nWhich tools matter most on day one?\n"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(script))
    assert await run_lab_ask("ml-engineer-lab", None, "-") == 0
    out = lines(capsys)
    assert [line["counted"] for line in out] == [False, True]
    assert out[0]["reply"] == "Let's keep to your interview: what would you ask?"
    assert out[1]["sections"] == []  # Claude's replies do not say which passages they drew on
    assert len(anthropic_server.requests) - before == 2
    assert anthropic_server.requests[-1].body["thinking"] == {"type": "disabled"}
