"""A `/cohort` answer as Block Kit: the title and each section as mrkdwn sections, people as
`<@U…>` mentions (after escaping everything else), each item followed by its own buttons, the
answer's buttons in one actions block at the end.

An answer holds at most `MAX_SECTIONS` sections of `SECTION_CHARS`, so it fits Slack's 50
blocks; a section that escaping pushed past 3,000 characters is split at line boundaries.
"""

from __future__ import annotations

from typing import Any

from bot.cohorts.answers import MAX_EDIT, Answer, AnswerButton, EditForm, with_mentions
from bot.render.limits import SLACK_FALLBACK_MAX, SLACK_SECTION_TEXT_MAX
from bot.render.markdown import to_plain, to_slack
from bot.render.slack import SlackMessage

ACTION_PREFIX = "cohort:"
FORM_CALLBACK = "cohort:edit"
FORM_FIELD = "text"
"""The block_id and action_id of the form's one input."""


def _slack_mention(ident: str, sigil: str) -> str:
    if sigil == "#":
        return f"<#{ident}>"
    return f"<!subteam^{ident}>" if sigil == "&" else f"<@{ident}>"


def mrkdwn(text: str) -> str:
    return with_mentions(to_slack(text), _slack_mention)


def render_answer_slack(answer: Answer) -> SlackMessage:
    blocks: list[dict[str, Any]] = [_section(mrkdwn(f"**{answer.title}**"))]
    for section in answer.sections:
        blocks += [_section(chunk) for chunk in _chunks(mrkdwn(section))]
    for item in answer.items:  # each with its buttons right under it
        blocks += [_section(chunk) for chunk in _chunks(mrkdwn(item.text))]
        if item.buttons:
            blocks.append(
                {"type": "actions", "elements": [_button(b, n) for n, b in enumerate(item.buttons)]}
            )
    if answer.buttons:
        blocks.append({"type": "actions", "elements": [_button(b, n) for n, b in enumerate(answer.buttons)]})
    fallback = to_plain(answer.plain_title)[:SLACK_FALLBACK_MAX]
    return SlackMessage(text=fallback, blocks=blocks)


def action_of(action_id: str) -> str | None:
    """The answer button's action from a Slack `action_id` (`cohort:page:1` → `page`)."""
    if not action_id.startswith(ACTION_PREFIX):
        return None
    return action_id[len(ACTION_PREFIX) :].split(":", 1)[0]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _chunks(text: str) -> list[str]:
    if len(text) <= SLACK_SECTION_TEXT_MAX:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > SLACK_SECTION_TEXT_MAX:  # one very long line: cut it
            chunks.append(line[:SLACK_SECTION_TEXT_MAX])
            line = line[SLACK_SECTION_TEXT_MAX:]
        if current and len(current) + 1 + len(line) > SLACK_SECTION_TEXT_MAX:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _button(button: AnswerButton, index: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        # Unique within the block, as Slack requires: Previous and Next share the action.
        "action_id": f"{ACTION_PREFIX}{button.action}:{index}",
        "text": {"type": "plain_text", "text": button.label},
        "value": button.value,
    }
    if button.style != "default":
        element["style"] = button.style
    return element


def render_form_slack(form: EditForm, private_metadata: str) -> dict[str, Any]:
    """An `EditForm` as a modal for `views.open`; `private_metadata` comes back on submit."""
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": form.title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": FORM_FIELD,
                "label": {"type": "plain_text", "text": form.label},
                "element": {
                    "type": "plain_text_input",
                    "action_id": FORM_FIELD,
                    "multiline": True,
                    "initial_value": form.text,
                    "max_length": MAX_EDIT,
                },
            }
        ],
    }
