"""Every Redis key the bot uses, built in one place.

Per-learner keys carry the hash tag `{platform:tenant:user}`, so everything one commit
touches lives in one Redis Cluster slot and one Lua script may touch all of it. Tenant-level
keys carry `{platform:tenant}`, and a cohort's keys `{cohort:platform:tenant:name}`. The parts
of a tag can hold no `:`, `{` or `}` (see `bot.domain.events.IdPart`), so a learner tag (three
parts), a tenant tag (two parts) and a cohort tag (four parts) never equal one another, and no
two learners, tenants or cohorts share a key.
"""

from __future__ import annotations

import re

from bot.domain.events import Actor

_ID_PART = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Lab ids may carry a run suffix (`lab-ml-engineer:2`); they sit after the tag, so `:` is harmless.
_LAB_ID = re.compile(r"^[A-Za-z0-9._:-]{1,96}$")
# Platform event ids (Slack `event_id`, Discord interaction ids, Slack trigger ids).
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PREFIX = re.compile(r"^[A-Za-z0-9._:-]{1,32}$")
_DAY = re.compile(r"^[0-9]{8}$")  # a UTC day, YYYYMMDD
_COHORT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _check(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


class KeyBuilder:
    """Builds keys such as `tutorbot:{slack:T123:U456}:state`.

    `prefix` separates several deployments sharing one Redis; it may not contain braces,
    since a brace in it would become the hash tag of every key.
    """

    def __init__(self, prefix: str = "tutorbot") -> None:
        self.prefix = _check(_PREFIX, prefix, "key prefix")

    # The scheduler: each shard's keys in the slot of `{scheduler#N}`. `#` can be in no id part,
    # so this tag never equals a learner's, a tenant's or a cohort's.

    def scheduler(self, shard: int, part: str) -> str:
        """One of a scheduler shard's keys: `due`, `leased`, `jobs`, `owner`, `done`."""
        if shard < 0 or part not in ("due", "leased", "jobs", "owner", "done"):
            raise ValueError(f"invalid scheduler key: {shard} {part!r}")
        return f"{self.prefix}:{{scheduler#{shard}}}:{part}"

    # Per learner: all in the slot of `{platform:tenant:user}`.

    def learner_tag(self, actor: Actor) -> str:
        return f"{{{actor.platform}:{actor.tenant}:{actor.user}}}"

    def commit_keys(self, actor: Actor, lab_id: str | None = None) -> list[str]:
        """`state`, `log` and (with `lab_id`) `lab`: the keys one commit touches, built at once
        (this runs on every event)."""
        learner = f"{self.prefix}:{self.learner_tag(actor)}:"
        if lab_id is None:
            return [learner + "state", learner + "log"]
        _check(_LAB_ID, lab_id, "lab id")
        return [learner + "state", learner + "log", f"{learner}lab:{lab_id}"]

    def state(self, actor: Actor) -> str:
        """Hash with fields `rev` and `data`: the learner's state record."""
        return f"{self.prefix}:{self.learner_tag(actor)}:state"

    def log(self, actor: Actor) -> str:
        """List: the learner's capped event log, oldest first."""
        return f"{self.prefix}:{self.learner_tag(actor)}:log"

    def lab(self, actor: Actor, lab_id: str) -> str:
        """List: the capped transcript of one lab, oldest first."""
        _check(_LAB_ID, lab_id, "lab id")
        return f"{self.prefix}:{self.learner_tag(actor)}:lab:{lab_id}"

    def quarantine(self, actor: Actor, unix_ms: int) -> str:
        """Where a state record is moved when it cannot be used; expires after a while."""
        if unix_ms < 0:
            raise ValueError(f"invalid timestamp: {unix_ms}")
        return f"{self.prefix}:{self.learner_tag(actor)}:quarantine:{unix_ms}"

    def posted_card(self, actor: Actor, channel: str, message_id: str) -> str:
        """String: the card a platform message was rendered from, so a click can update it."""
        _check(_EVENT_ID, channel, "channel id")
        _check(_EVENT_ID, message_id, "message id")
        return f"{self.prefix}:{self.learner_tag(actor)}:card:{channel}:{message_id}"

    def learner_tokens(self, actor: Actor, day: str) -> str:
        """Integer: the learner's AI advisor tokens on one UTC day (`YYYYMMDD`)."""
        _check(_DAY, day, "day")
        return f"{self.prefix}:{self.learner_tag(actor)}:tokens:{day}"

    def nudges(self, actor: Actor) -> str:
        """Hash: the learner's nudge bookkeeping (`paused_at`, `stretch`, `sent`)."""
        return f"{self.prefix}:{self.learner_tag(actor)}:nudges"

    def time_zone(self, actor: Actor) -> str:
        """String: the learner's own IANA time zone as their platform told it (Slack
        `users.info` `tz`), cached with an expiry so it is asked again now and then."""
        return f"{self.prefix}:{self.learner_tag(actor)}:tz"

    def usage(self, actor: Actor) -> str:
        """Hash: the learner's AI advisor usage, fields `<lab_id>:<counter>`."""
        return f"{self.prefix}:{self.learner_tag(actor)}:usage"

    def dm_tenant(self, home: Actor) -> str:
        """String: the tenant a user's direct messages serve, on a platform whose DMs carry none
        (Discord). `home` is the user as a learner of their own DM tenant."""
        return f"{self.prefix}:{self.learner_tag(home)}:dm-tenant"

    def dm_card_tenant(self, home: Actor, message_id: str) -> str:
        """String: the tenant a card with buttons posted to the user's DM was rendered for, so
        a press in the DM acts on that tenant's course (Discord). `home` as for `dm_tenant`."""
        _check(_EVENT_ID, message_id, "message id")
        return f"{self.prefix}:{self.learner_tag(home)}:dm-card:{message_id}"

    def dms_closed(self, home: Actor) -> str:
        """String: the user does not accept DMs from the bot (Discord); expires when it is worth
        trying again. `home` as for `dm_tenant`."""
        return f"{self.prefix}:{self.learner_tag(home)}:dms-closed"

    def dms_closed_count(self, home: Actor) -> str:
        """Integer: how often in a row the user's DMs were found closed (the backoff's step)."""
        return f"{self.prefix}:{self.learner_tag(home)}:dms-closed-count"

    def dms_closed_told(self, actor: Actor) -> str:
        """String: the learner was told how to open their DMs (once, where no thread serves)."""
        return f"{self.prefix}:{self.learner_tag(actor)}:dms-closed-told"

    def pass_shared(self, actor: Actor) -> str:
        """String: the learner's Share my pass was posted (the channel), so a second press does not post."""
        return f"{self.prefix}:{self.learner_tag(actor)}:pass-shared"

    def course_thread(self, actor: Actor) -> str:
        """String: the private thread the learner's course continues in when DMs are closed."""
        return f"{self.prefix}:{self.learner_tag(actor)}:course-thread"

    # Per tenant: all in the slot of `{platform:tenant}`.

    def course_channel(self, platform: str, tenant: str) -> str:
        """String: the channel whose private threads carry courses of learners with closed DMs."""
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:course-channel"

    def thread_learner(self, platform: str, tenant: str, thread: str) -> str:
        """String: the learner whose course a private thread carries."""
        _check(_EVENT_ID, thread, "thread id")
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:thread:{thread}"

    def tenant_tag(self, platform: str, tenant: str) -> str:
        _check(_ID_PART, platform, "platform")
        _check(_ID_PART, tenant, "tenant")
        return f"{{{platform}:{tenant}}}"

    def learners(self, platform: str, tenant: str) -> str:
        """Set: user ids of the tenant's learners who have a record."""
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:learners"

    def tenant_tokens(self, platform: str, tenant: str, day: str) -> str:
        """Integer: the tenant's AI advisor tokens on one UTC day (`YYYYMMDD`)."""
        _check(_DAY, day, "day")
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:tokens:{day}"

    # Slack installations (OAuth mode): per tenant, all in the slot of `{slack:tenant}`, so one
    # MULTI writes or deletes an installation's records together.

    def slack_installation(self, tenant: str, record: str) -> str:
        """String: one encrypted installation record (`bot`, `latest`, or `user:<id>`)."""
        _check(_EVENT_ID, record, "installation record")
        return f"{self.prefix}:{self.tenant_tag('slack', tenant)}:install:{record}"

    def slack_budget(self, tenant: str, method: str) -> str:
        """String: the rate budget of one Web API method (or `method:channel`) in one workspace."""
        _check(_EVENT_ID, method, "api method")
        return f"{self.prefix}:{self.tenant_tag('slack', tenant)}:budget:{method}"

    def slack_installations(self) -> str:
        """Set: the tenants that have an installation (for re-encrypting them all)."""
        return f"{self.prefix}:slack:installations"

    def oauth_state(self, state: str) -> str:
        """String: an issued OAuth `state`, deleted when consumed; expires unused."""
        _check(_EVENT_ID, state, "oauth state")
        return f"{self.prefix}:slack:oauth-state:{state}"

    def cohort_tenants(self) -> str:
        """Set: `platform:tenant` of every tenant that has had a cohort, for the nudge sweep.
        Its own slot (`{cohort-tenants}`, no `:`, so no tenant or learner tag is the same)."""
        return f"{self.prefix}:{{cohort-tenants}}:all"

    def cohort_tenants_filled(self) -> str:
        """String: set once the round was filled from the tenants' cohort lists (for
        deployments whose cohorts were made before the round existed). Same slot as the round."""
        return f"{self.prefix}:{{cohort-tenants}}:filled"

    def every_tenant_cohorts(self) -> str:
        """A SCAN pattern matching every tenant's `cohorts` set."""
        return f"{self.prefix}:{{*:*}}:cohorts"

    def cohorts(self, platform: str, tenant: str) -> str:
        """Set: names of the tenant's cohorts."""
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:cohorts"

    def cohort_of(self, platform: str, tenant: str) -> str:
        """Hash: user id → the name of the one cohort of the tenant the learner is in."""
        return f"{self.prefix}:{self.tenant_tag(platform, tenant)}:cohort-of"

    # Per cohort: all in the slot of `{cohort:platform:tenant:name}`.

    def cohort_tag(self, platform: str, tenant: str, name: str) -> str:
        _check(_COHORT, name, "cohort name")
        return "{cohort:" + self.tenant_tag(platform, tenant)[1:-1] + ":" + name + "}"

    def cohort_pattern(self, platform: str, tenant: str) -> str:
        """A SCAN pattern matching every key of every cohort of the tenant."""
        return f"{self.prefix}:{{cohort:{self.tenant_tag(platform, tenant)[1:-1]}:*"

    def cohort(self, platform: str, tenant: str, name: str) -> str:
        """String: the cohort record (JSON of `bot.cohorts.models.Cohort`)."""
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:record"

    def pass_role_told(self, platform: str, tenant: str, name: str, role: str) -> str:
        """String: the cohort's facilitator was told its pass role could not be granted."""
        _check(_EVENT_ID, role, "role id")
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:pass-role-told:{role}"

    def roster(self, platform: str, tenant: str, name: str) -> str:
        """Hash: user id → JSON of the learner's `RosterEntry`."""
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:roster"

    def facilitators(self, platform: str, tenant: str, name: str) -> str:
        """Set: user ids of the cohort's added facilitators."""
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:facilitators"

    def audit(self, platform: str, tenant: str, name: str) -> str:
        """List: the cohort's capped audit log, oldest first."""
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:audit"

    def release_told(self, platform: str, tenant: str, name: str, lesson_id: str) -> str:
        """Hash: user id → `sending` or `sent`, for the DM saying a lesson is open (once each)."""
        _check(_LAB_ID, lesson_id, "lesson id")
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:release-told:{lesson_id}"

    def pending(self, platform: str, tenant: str, name: str, action_id: str) -> str:
        """Hash: an action waiting for its Confirm button (a reset); expires."""
        _check(_ID_PART, action_id, "action id")
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:pending:{action_id}"

    def nudge_preview(self, platform: str, tenant: str, name: str, user: str) -> str:
        """Hash: one facilitator's `/cohort nudge` preview of the cohort (drafts, skips, edits); expires."""
        _check(_ID_PART, user, "user id")
        return f"{self.prefix}:{self.cohort_tag(platform, tenant, name)}:nudge-preview:{user}"

    # Per platform and deployment.

    def registered_commands(self, platform: str, application: str = "", scope: str = "") -> str:
        """String: a hash of the command definitions last uploaded to the platform, per
        application (two bots sharing a Redis and prefix each upload their own) and scope
        (global, or one development server)."""
        _check(_ID_PART, platform, "platform")
        suffix = "".join(
            f":{_check(_ID_PART, part, 'command scope')}" for part in (application, scope) if part
        )
        return f"{self.prefix}:{platform}:commands-digest{suffix}"

    # Per deployment.

    def open_lab_turns(self) -> str:
        """Sorted set: learners (`platform:tenant:user`) with a lab turn being answered, scored
        by the unix time its lease runs out, so a dead process's turns can be found and taken over."""
        return f"{self.prefix}:open-lab-turns"

    # Event de-duplication: one key per event, deliberately without a hash tag so these
    # short-lived keys spread over the whole cluster.

    def dedupe(self, namespace: str, event_id: str) -> str:
        """`namespace` holds no `:`, so (namespace, event_id) maps to exactly one key."""
        _check(_ID_PART, namespace, "dedupe namespace")
        _check(_EVENT_ID, event_id, "event id")
        return f"{self.prefix}:dedupe:{namespace}:{event_id}"
