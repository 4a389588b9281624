"""Pydantic models of the Slack payloads the adapter accepts: the edge where input is validated.

Only the fields the adapter reads are declared; Slack adds fields freely, so extras are
ignored. Ids are checked against the same shape as `bot.domain.events.IdPart`, so a payload
that could not name a learner is rejected here rather than deeper in.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.adapters.slack.tenancy import flag, tenant_of

SlackId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class _Edge(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlashCommandForm(_Edge):
    """The form Slack posts for a slash command (`/tutor start`)."""

    command: str
    text: str = ""
    team_id: SlackId
    user_id: SlackId
    channel_id: SlackId
    channel_name: str = ""
    response_url: str | None = None
    trigger_id: str | None = None
    enterprise_id: SlackId | None = None
    is_enterprise_install: str | bool = False

    @property
    def tenant(self) -> str:
        """The installation's tenant: the Grid org for an org-wide install, else the workspace."""
        return tenant_of(self.enterprise_id, self.team_id, flag(self.is_enterprise_install)) or self.team_id


class _Team(_Edge):
    id: SlackId


class _User(_Edge):
    id: SlackId
    team_id: SlackId | None = None


class _TextObject(_Edge):
    text: str = ""


class ActionItem(_Edge):
    """One element of `actions` in a block_actions payload: the button that was clicked."""

    # Lengths beyond Slack's own limits are not refused here: the button is then simply not
    # one of ours, and the learner gets a polite answer instead of silence.
    action_id: Annotated[str, StringConstraints(max_length=2000)]
    block_id: str | None = None
    type: str = "button"
    value: Annotated[str, StringConstraints(max_length=2000)] = ""
    text: _TextObject | None = None


class _Container(_Edge):
    type: str
    channel_id: SlackId | None = None
    message_ts: str | None = None
    view_id: str | None = None
    is_ephemeral: bool = False


class _Channel(_Edge):
    id: SlackId


class _Interactive(_Edge):
    """Who sent an interactivity request, and from which workspace or org."""

    team: _Team | None = None
    enterprise: _Team | None = None
    is_enterprise_install: bool = False
    user: _User

    @property
    def team_id(self) -> str | None:
        """The workspace. Org-wide installs may send `team: null`; the user's team is then the one."""
        if self.team is not None:
            return self.team.id
        return self.user.team_id

    @property
    def tenant(self) -> str | None:
        enterprise = self.enterprise.id if self.enterprise else None
        return tenant_of(enterprise, self.team_id, self.is_enterprise_install)


class BlockActionsPayload(_Interactive):
    """The `payload` of a button click (interactivity request of type `block_actions`)."""

    type: Literal["block_actions"]
    container: _Container
    channel: _Channel | None = None
    actions: Annotated[list[ActionItem], Field(min_length=1)]
    response_url: str | None = None
    trigger_id: str | None = None
    """For opening a modal (`views.open`) within 3 seconds of the click."""

    @property
    def action(self) -> ActionItem:
        """Slack sends one action per click."""
        return self.actions[0]

    @property
    def channel_id(self) -> str | None:
        if self.container.channel_id:
            return self.container.channel_id
        return self.channel.id if self.channel else None


class _InputValue(_Edge):
    type: str = "plain_text_input"
    value: Annotated[str, StringConstraints(max_length=4000)] | None = None


class _ViewState(_Edge):
    values: dict[str, dict[str, _InputValue]] = {}


class _View(_Edge):
    callback_id: Annotated[str, StringConstraints(max_length=255)] = ""
    private_metadata: Annotated[str, StringConstraints(max_length=3000)] = ""
    state: _ViewState = _ViewState()


class ViewSubmissionPayload(_Interactive):
    """The `payload` when a modal's submit button is pressed (`view_submission`)."""

    type: Literal["view_submission"]
    view: _View

    def input(self, block_id: str, action_id: str) -> str | None:
        found = self.view.state.values.get(block_id, {}).get(action_id)
        return found.value if found is not None else None


class MessageEvent(_Edge):
    """A `message` event. For `message.im` the channel type is `im`."""

    type: Literal["message"]
    channel: SlackId
    channel_type: str | None = None
    user: SlackId | None = None
    text: str = ""
    ts: str = ""
    subtype: str | None = None
    bot_id: str | None = None
    app_id: str | None = None


class AppHomeOpenedEvent(_Edge):
    type: Literal["app_home_opened"]
    user: SlackId
    channel: str | None = None
    tab: str = "home"


class Authorization(_Edge):
    """Which installation an event is delivered for (`authorizations[0]`)."""

    enterprise_id: SlackId | None = None
    team_id: SlackId | None = None
    is_enterprise_install: bool = False


class EventEnvelope(_Edge):
    """The outer `event_callback` body of the Events API."""

    type: Literal["event_callback"]
    team_id: SlackId
    enterprise_id: SlackId | None = None
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    event: dict[str, object]
    authorizations: list[Authorization] = []

    @property
    def tenant(self) -> str:
        """The installation the event came through: `authorizations[0]` says which (for Grid,
        the org when installed org-wide); without it, the workspace."""
        if self.authorizations:
            first = self.authorizations[0]
            found = tenant_of(
                first.enterprise_id or self.enterprise_id, first.team_id, first.is_enterprise_install
            )
            if found:
                return found
        return self.team_id
