"""Which tenant a Slack request belongs to.

A tenant is one installation of the app: a workspace (`T…`) for an ordinary install, or a whole
Enterprise Grid organisation (`E…`) for an org-wide install. Grid user ids are unique across
the organisation, so a learner of an org-wide install is one learner in every workspace of it,
and the org's one bot token serves them all. A workspace install inside a Grid org is still
its own tenant (its team id).

Payloads say which install they are for in several places:

- Events API: `authorizations[0]` (`enterprise_id`, `team_id`, `is_enterprise_install`), with
  top-level `enterprise_id` / `team_id` / `is_enterprise_install` as well;
- slash commands: `enterprise_id`, `team_id`, `is_enterprise_install` (`"true"`/`"false"`);
- interactivity: `enterprise`, `team` (null for some Grid actions), `user.team_id`,
  `is_enterprise_install`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstallRef:
    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool

    @property
    def tenant(self) -> str | None:
        return tenant_of(self.enterprise_id, self.team_id, self.is_enterprise_install)


def tenant_of(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> str | None:
    """The tenant id: the org for an org-wide install, otherwise the workspace."""
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id


def flag(value: object) -> bool:
    """Slack sends booleans as JSON booleans in JSON bodies and as "true"/"false" in forms."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
