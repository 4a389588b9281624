"""Where log lines go. The terminal tutor keeps its screen for the learner and writes logs to a
file in the data folder; servers (Slack) log to standard error."""

from __future__ import annotations

import logging
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "tutorbot.log"
    logging.basicConfig(level=logging.INFO, format=FORMAT, filename=path, force=True)
    return path
