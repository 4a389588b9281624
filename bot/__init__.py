"""tutorbot: a tutoring bot that runs a course module in Slack, Discord and the terminal."""

__version__ = "0.1.0"
