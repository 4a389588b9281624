import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from bot.domain.events import Actor
from bot.storage.keys import KeyBuilder

keys = KeyBuilder()
id_part = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=8)
actors = st.builds(
    Actor, platform=st.sampled_from(["slack", "discord", "terminal"]), tenant=id_part, user=id_part
)


def learner_keys(actor: Actor) -> list[str]:
    return [
        keys.state(actor),
        keys.log(actor),
        keys.lab(actor, "lab-ml-engineer"),
        keys.lab(actor, "lab-mlops:2"),
        keys.quarantine(actor, 1_700_000_000_000),
        keys.learner_tokens(actor, "20261127"),
        keys.usage(actor),
    ]


def test_keys_look_as_documented() -> None:
    actor = Actor(platform="slack", tenant="T123", user="U456")
    assert keys.state(actor) == "tutorbot:{slack:T123:U456}:state"
    assert keys.learners("slack", "T123") == "tutorbot:{slack:T123}:learners"
    assert keys.learner_tokens(actor, "20261127") == "tutorbot:{slack:T123:U456}:tokens:20261127"
    assert keys.tenant_tokens("slack", "T123", "20261127") == "tutorbot:{slack:T123}:tokens:20261127"
    assert keys.usage(actor) == "tutorbot:{slack:T123:U456}:usage"


@pytest.mark.parametrize("day", ["", "2026-11-27", "2026112", "20261127}", "today"])
def test_a_budget_day_that_is_not_yyyymmdd_is_refused(day: str) -> None:
    actor = Actor(platform="slack", tenant="T1", user="U1")
    with pytest.raises(ValueError):
        keys.learner_tokens(actor, day)
    with pytest.raises(ValueError):
        keys.tenant_tokens("slack", "T1", day)


@given(actors)
def test_everything_one_commit_touches_is_in_one_cluster_slot(actor: Actor) -> None:
    assert len({key_slot(key.encode()) for key in learner_keys(actor)}) == 1


@given(actors)
def test_a_commit_writes_the_very_keys_the_learner_is_read_from(actor: Actor) -> None:
    assert keys.commit_keys(actor) == [keys.state(actor), keys.log(actor)]
    assert keys.commit_keys(actor, "lab-mlops:2") == [
        keys.state(actor),
        keys.log(actor),
        keys.lab(actor, "lab-mlops:2"),
    ]
    with pytest.raises(ValueError):
        keys.commit_keys(actor, "lab one")


@given(actors, actors)
def test_actors_are_one_cache_key_exactly_when_they_are_equal(a: Actor, b: Actor) -> None:
    # The engine keys its cached records by actor: an equal one, built from another event,
    # finds the learner's entry; any other never does.
    copy = Actor(platform=a.platform, tenant=a.tenant, user=a.user)
    assert copy == a and hash(copy) == hash(a) and {a: "record"}.get(copy) == "record"
    assert ({a: "record"}.get(b) == "record") == (a == b)
    assert (a == b) == (a.platform == b.platform and a.tenant == b.tenant and a.user == b.user)


@given(actors, actors)
def test_different_learners_never_share_a_key(a: Actor, b: Actor) -> None:
    if a == b:
        return
    tenant_keys = {keys.learners(x.platform, x.tenant) for x in (a, b)}
    tenant_keys |= {keys.tenant_tokens(x.platform, x.tenant, "20261127") for x in (a, b)}
    assert not set(learner_keys(a)) & set(learner_keys(b))
    assert not (set(learner_keys(a)) | set(learner_keys(b))) & tenant_keys


def test_same_user_id_in_two_tenants_gets_separate_keys() -> None:
    one = Actor(platform="slack", tenant="T1", user="U1")
    other = Actor(platform="slack", tenant="T2", user="U1")
    discord = Actor(platform="discord", tenant="T1", user="U1")
    assert len({keys.state(one), keys.state(other), keys.state(discord)}) == 3
    assert keys.learners("slack", "T1") != keys.learners("slack", "T2")


def test_prefix_separates_deployments() -> None:
    actor = Actor(platform="slack", tenant="T1", user="U1")
    assert KeyBuilder("staging").state(actor) != keys.state(actor)


@pytest.mark.parametrize("prefix", ["", "a{b}", "tutor bot", "x}"])
def test_prefix_that_would_break_hash_tags_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        KeyBuilder(prefix)


@pytest.mark.parametrize("lab_id", ["", "lab{x}", "a b", "x" * 97])
def test_malformed_lab_id_is_refused(lab_id: str) -> None:
    with pytest.raises(ValueError):
        keys.lab(Actor(platform="slack", tenant="T1", user="U1"), lab_id)


def test_dedupe_keys_cannot_be_confused_across_namespaces() -> None:
    with pytest.raises(ValueError):
        keys.dedupe("slack:T1", "Ev1")
    assert keys.dedupe("slack", "T1:Ev1") != keys.dedupe("slack.T1", "Ev1")
