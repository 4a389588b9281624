"""Slack adapter: Bolt app, payload translation and the Slack outbox. See `app.py`."""
