"""Repository functions on both backends (SQLite file and PostgreSQL), with user scoping on every row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.errors import InputError, NotFound
from agent.core.migrate import upgrade
from agent.core.models import Draft, ScheduledPost
from agent.core.security import CredentialBox
from agent.core.settings import normalize_db_url

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-pass"


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database: the SQLite file of the ``engine`` fixture, or a fresh Postgres database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("engine")
        return
    eng = make_engine(normalize_db_url(request.getfixturevalue("pg_url")))
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox([Fernet.generate_key().decode()])


def _user(db: Engine, name: str = "") -> str:
    with session_scope(db) as session:
        email = f"{name or 'u'}-{uuid.uuid4().hex[:6]}@example.com"
        return repo.create_user(session, email=email, password=PASSWORD).id


@pytest.fixture
def alice(db: Engine) -> str:
    return _user(db, "alice")


@pytest.fixture
def bob(db: Engine) -> str:
    return _user(db, "bob")


def _is_utc_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() == timedelta(0)


# -- users -------------------------------------------------------------------------------------------


def test_create_user_normalises_the_email_and_sets_up_the_profile(db: Engine) -> None:
    with session_scope(db) as session:
        user = repo.create_user(session, email="  Ada.Lovelace@Example.COM ", password=PASSWORD)
        user_id = user.id

    with session_scope(db) as session:
        stored = repo.get_user(session, user_id=user_id)
        assert stored.email == "ada.lovelace@example.com"
        assert stored.display_name == "ada.lovelace"
        assert stored.password_hash and PASSWORD not in stored.password_hash
        assert stored.is_active
        assert _is_utc_aware(stored.created_at)
        assert repo.find_user_by_email(session, email="ADA.LOVELACE@example.com") == stored
        assert repo.get_brand_profile(session, user_id=user_id).timezone == "UTC"


def test_a_duplicate_email_is_refused_whatever_its_case(db: Engine) -> None:
    with session_scope(db) as session:
        repo.create_user(session, email="dup@example.com", password=PASSWORD)

    with session_scope(db) as session, pytest.raises(InputError, match="already exists"):
        repo.create_user(session, email=" DUP@Example.com", password=PASSWORD)

    with session_scope(db) as session:
        assert repo.count_users(session) == 1


@pytest.mark.parametrize("email", ["not-an-email", "@example.com", "someone@", "", "a" * 320 + "@x.io"])
def test_an_invalid_email_is_refused(db: Engine, email: str) -> None:
    with session_scope(db) as session, pytest.raises(InputError):
        repo.create_user(session, email=email, password=PASSWORD)


def test_get_user_of_an_unknown_id_is_not_found(db: Engine) -> None:
    with session_scope(db) as session, pytest.raises(NotFound):
        repo.get_user(session, user_id=uuid.uuid4().hex)


def test_authenticate(db: Engine) -> None:
    with session_scope(db) as session:
        user_id = repo.create_user(session, email="auth@example.com", password=PASSWORD).id
        repo.create_user(session, email="nopass@example.com")

    with session_scope(db) as session:
        good = repo.authenticate(session, email=" Auth@Example.com", password=PASSWORD)
        assert good is not None and good.id == user_id
        assert repo.authenticate(session, email="auth@example.com", password="wrong-pass") is None
        assert repo.authenticate(session, email="nobody@example.com", password=PASSWORD) is None
        assert repo.authenticate(session, email="not-an-email", password=PASSWORD) is None
        assert repo.authenticate(session, email="nopass@example.com", password=PASSWORD) is None

    with session_scope(db) as session:
        user = repo.get_user(session, user_id=user_id)
        user.is_active = False
        session.add(user)

    with session_scope(db) as session:
        assert repo.authenticate(session, email="auth@example.com", password=PASSWORD) is None


def test_set_password_replaces_the_old_one(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        email = repo.get_user(session, user_id=alice).email
        repo.set_password(session, user_id=alice, password="a-new-password")

    with session_scope(db) as session:
        assert repo.authenticate(session, email=email, password=PASSWORD) is None
        assert repo.authenticate(session, email=email, password="a-new-password") is not None


def test_a_channel_identity_maps_to_one_user(db: Engine) -> None:
    with session_scope(db) as session:
        first = repo.get_or_create_identity_user(session, channel="slack", external_id="T1:U1").id
    with session_scope(db) as session:
        again = repo.get_or_create_identity_user(session, channel="slack", external_id="T1:U1").id
        other = repo.get_or_create_identity_user(session, channel="slack", external_id="T1:U2").id

    assert first == again
    assert other != first


# -- brand profile -----------------------------------------------------------------------------------


def test_brand_profile_defaults_and_update(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        profile = repo.get_brand_profile(session, user_id=alice)
        assert (profile.tone, profile.timezone, profile.emoji_policy) == ("friendly", "UTC", "light")
        before = profile.updated_at

    with session_scope(db) as session:
        repo.update_brand_profile(
            session,
            user_id=alice,
            brand_name="Bean There",
            timezone="Europe/Berlin",
            emoji_policy="none",
            banned_words=["cheap", "synergy"],
            default_platforms=["instagram", "linkedin"],
        )

    with session_scope(db) as session:
        stored = repo.get_brand_profile(session, user_id=alice)
        assert stored.brand_name == "Bean There"
        assert stored.timezone == "Europe/Berlin"
        assert stored.emoji_policy == "none"
        assert stored.banned_words == ["cheap", "synergy"]
        assert stored.default_platforms == ["instagram", "linkedin"]
        assert _is_utc_aware(stored.updated_at)
        assert stored.updated_at >= before


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"emoji_policy": "lots"},
        {"updated_at": "2020-01-01"},
        {"favourite_colour": "teal"},
    ],
)
def test_an_invalid_brand_profile_change_is_refused_and_changes_nothing(
    db: Engine, alice: str, changes: dict[str, str]
) -> None:
    with session_scope(db) as session, pytest.raises(InputError):
        repo.update_brand_profile(session, user_id=alice, brand_name="Changed", **changes)

    with session_scope(db) as session:
        profile = repo.get_brand_profile(session, user_id=alice)
        assert profile.brand_name == ""
        assert profile.timezone == "UTC"
        assert profile.emoji_policy == "light"


def test_the_brand_profile_of_an_unknown_user_is_not_found(db: Engine) -> None:
    with session_scope(db) as session, pytest.raises(NotFound):
        repo.get_brand_profile(session, user_id=uuid.uuid4().hex)


# -- memories ----------------------------------------------------------------------------------------


def test_memories_add_dedupe_list_and_delete(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        first = repo.add_memory(session, user_id=alice, content="  We never use   emojis on LinkedIn ")
        rule = repo.add_memory(session, user_id=alice, content="Sign off with 'Stay cozy'", kind="rule")
        first_id, rule_id = first.id, rule.id
        assert first.content == "We never use emojis on LinkedIn"

    with session_scope(db) as session:
        same = repo.add_memory(session, user_id=alice, content="we NEVER use emojis on linkedin")
        assert same.id == first_id

    with session_scope(db) as session:
        memories = repo.list_memories(session, user_id=alice)
        assert [m.id for m in memories] == [first_id, rule_id]
        assert [m.id for m in repo.list_memories(session, user_id=alice, kind="rule")] == [rule_id]
        assert all(_is_utc_aware(m.created_at) for m in memories)
        repo.delete_memory(session, user_id=alice, memory_id=first_id)

    with session_scope(db) as session:
        assert [m.id for m in repo.list_memories(session, user_id=alice)] == [rule_id]
        with pytest.raises(NotFound):
            repo.delete_memory(session, user_id=alice, memory_id=first_id)


@pytest.mark.parametrize("content", ["", "   \n\t ", "x" * (repo.MAX_MEMORY_CHARS + 1)])
def test_an_empty_or_oversized_memory_is_refused(db: Engine, alice: str, content: str) -> None:
    with session_scope(db) as session, pytest.raises(InputError):
        repo.add_memory(session, user_id=alice, content=content)


def test_the_same_memory_of_two_users_is_kept_for_each(db: Engine, alice: str, bob: str) -> None:
    with session_scope(db) as session:
        a = repo.add_memory(session, user_id=alice, content="Our colour is teal")
        b = repo.add_memory(session, user_id=bob, content="Our colour is teal")

        assert a.id != b.id
        assert b.user_id == bob


# -- drafts ------------------------------------------------------------------------------------------


def test_drafts_create_get_update_and_list(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        first = repo.create_draft(
            session,
            user_id=alice,
            platform="instagram",
            text="Say hello to our oat latte ☕",
            hashtags=("oatlatte", "coffee"),
            thread_id="t1",
            writer="template",
            meta={"brief": "oat latte"},
        )
        second = repo.create_draft(session, user_id=alice, platform="x", text="Thoughts?", thread_id="t1")
        other = repo.create_draft(session, user_id=alice, platform="x", text="Elsewhere", thread_id="t2")
        first_id, second_id, other_id = first.id, second.id, other.id
        created = first.updated_at

    with session_scope(db) as session:
        draft = repo.get_draft(session, user_id=alice, draft_id=first_id)
        assert draft.text == "Say hello to our oat latte ☕"
        assert draft.hashtags == ["oatlatte", "coffee"]
        assert draft.meta == {"brief": "oat latte"}
        assert draft.status == "draft"
        assert _is_utc_aware(draft.created_at)

        repo.update_draft(
            session, user_id=alice, draft_id=first_id, text="Edited", hashtags=("latte",), status="approved"
        )

    with session_scope(db) as session:
        draft = repo.get_draft(session, user_id=alice, draft_id=first_id)
        assert (draft.text, draft.hashtags, draft.status) == ("Edited", ["latte"], "approved")
        assert draft.updated_at >= created

        assert [d.id for d in repo.list_drafts(session, user_id=alice)] == [other_id, second_id, first_id]
        assert [d.id for d in repo.list_drafts(session, user_id=alice, thread_id="t1")] == [
            second_id,
            first_id,
        ]
        assert [d.id for d in repo.list_drafts(session, user_id=alice, status="approved")] == [first_id]
        assert [d.id for d in repo.list_drafts(session, user_id=alice, limit=1)] == [other_id]


@pytest.mark.parametrize(
    "changes", [{"status": "posted-somewhere"}, {"thread_id": "t9"}, {"platform": "linkedin"}]
)
def test_an_invalid_draft_change_is_refused(db: Engine, alice: str, changes: dict[str, str]) -> None:
    with session_scope(db) as session:
        draft_id = repo.create_draft(session, user_id=alice, platform="x", text="Hello").id

    with session_scope(db) as session, pytest.raises(InputError):
        repo.update_draft(session, user_id=alice, draft_id=draft_id, **changes)

    with session_scope(db) as session:
        draft = repo.get_draft(session, user_id=alice, draft_id=draft_id)
        assert (draft.user_id, draft.platform, draft.status) == (alice, "x", "draft")


def test_a_missing_draft_is_not_found(db: Engine, alice: str) -> None:
    with session_scope(db) as session, pytest.raises(NotFound):
        repo.get_draft(session, user_id=alice, draft_id=999_999)


# -- approvals ---------------------------------------------------------------------------------------


def test_approvals_are_recorded_and_listed_newest_first(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        first = repo.record_approval(
            session, user_id=alice, tool="approve_draft", decision="approved", target="draft #1", note="ok"
        )
        second = repo.record_approval(
            session, user_id=alice, tool="publish", decision="declined", thread_id="t1", note="n" * 5000
        )
        ids = [second.id, first.id]

    with session_scope(db) as session:
        approvals = repo.list_approvals(session, user_id=alice)
        assert [a.id for a in approvals] == ids
        assert approvals[0].decision == "declined"
        assert len(approvals[0].note) == 1000
        assert approvals[1].target == "draft #1"
        assert all(_is_utc_aware(a.decided_at) for a in approvals)


def test_an_unknown_decision_is_refused(db: Engine, alice: str) -> None:
    with session_scope(db) as session, pytest.raises(InputError):
        repo.record_approval(session, user_id=alice, tool="publish", decision="maybe")


# -- platform accounts -------------------------------------------------------------------------------


def test_platform_credentials_are_stored_encrypted(db: Engine, alice: str, box: CredentialBox) -> None:
    credentials = {"access_token": "tok-PLAINTEXT-42", "refresh_token": "ref-PLAINTEXT-43"}
    with session_scope(db) as session:
        account_id = repo.add_platform_account(
            session,
            user_id=alice,
            platform="mastodon",
            handle="@beanthere",
            credentials=credentials,
            box=box,
            base_url="https://mastodon.example",
        ).id

    with db.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT credentials_encrypted FROM platform_account WHERE id = :id"), {"id": account_id}
        ).scalar_one()
    assert "PLAINTEXT" not in raw
    assert "access_token" not in raw
    assert box.decrypt(raw) == credentials

    with session_scope(db) as session:
        assert repo.account_credentials(session, user_id=alice, account_id=account_id, box=box) == credentials
        accounts = repo.list_platform_accounts(session, user_id=alice)
        assert [(a.id, a.platform, a.handle, a.base_url) for a in accounts] == [
            (account_id, "mastodon", "@beanthere", "https://mastodon.example")
        ]


# -- user scoping ------------------------------------------------------------------------------------


def test_one_user_can_never_reach_another_users_rows(
    db: Engine, alice: str, bob: str, box: CredentialBox
) -> None:
    with session_scope(db) as session:
        draft_id = repo.create_draft(
            session, user_id=alice, platform="x", text="Alice's draft", thread_id="t"
        ).id
        memory_id = repo.add_memory(session, user_id=alice, content="Alice's secret rule").id
        account_id = repo.add_platform_account(
            session, user_id=alice, platform="bluesky", handle="alice", credentials={"pw": "p"}, box=box
        ).id
        repo.record_approval(session, user_id=alice, tool="approve_draft", decision="approved")

    with session_scope(db) as session:
        with pytest.raises(NotFound):
            repo.get_draft(session, user_id=bob, draft_id=draft_id)
        with pytest.raises(NotFound):
            repo.update_draft(session, user_id=bob, draft_id=draft_id, text="Bob was here", status="approved")
        with pytest.raises(NotFound):
            repo.delete_memory(session, user_id=bob, memory_id=memory_id)
        with pytest.raises(NotFound):
            repo.get_platform_account(session, user_id=bob, account_id=account_id)
        with pytest.raises(NotFound):
            repo.account_credentials(session, user_id=bob, account_id=account_id, box=box)

        assert repo.list_drafts(session, user_id=bob) == []
        assert repo.list_drafts(session, user_id=bob, thread_id="t") == []
        assert repo.list_memories(session, user_id=bob) == []
        assert repo.list_platform_accounts(session, user_id=bob) == []
        assert repo.list_approvals(session, user_id=bob) == []

    with session_scope(db) as session:  # and Alice's rows are as she left them
        draft = repo.get_draft(session, user_id=alice, draft_id=draft_id)
        assert (draft.text, draft.status) == ("Alice's draft", "draft")
        assert [m.id for m in repo.list_memories(session, user_id=alice)] == [memory_id]
        assert [a.id for a in repo.list_platform_accounts(session, user_id=alice)] == [account_id]
        assert len(repo.list_approvals(session, user_id=alice)) == 1


def test_brand_profiles_are_per_user(db: Engine, alice: str, bob: str) -> None:
    with session_scope(db) as session:
        repo.update_brand_profile(session, user_id=alice, brand_name="Alice Coffee", banned_words=["cheap"])

    with session_scope(db) as session:
        profile = repo.get_brand_profile(session, user_id=bob)
        assert profile.brand_name == ""
        assert profile.banned_words == []


# -- time --------------------------------------------------------------------------------------------


def test_datetimes_come_back_tz_aware_utc(db: Engine, alice: str) -> None:
    berlin_summer = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(db) as session:
        post = ScheduledPost(user_id=alice, platform="x", run_at=berlin_summer, timezone="Europe/Berlin")
        session.add(post)
        session.flush()
        post_id = post.id

    with Session(db) as session:
        stored = session.get(ScheduledPost, post_id)
        assert stored is not None and stored.run_at is not None
        assert _is_utc_aware(stored.run_at)
        assert stored.run_at == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
        assert _is_utc_aware(stored.created_at)
        assert abs(datetime.now(UTC) - stored.created_at) < timedelta(minutes=5)

        # A comparison in SQL sees the same instant, whatever the backend stores.
        due = session.scalars(
            sa.select(ScheduledPost.id).where(ScheduledPost.run_at <= datetime(2026, 7, 1, 7, 31, tzinfo=UTC))
        ).all()
        not_due = session.scalars(
            sa.select(ScheduledPost.id).where(ScheduledPost.run_at <= datetime(2026, 7, 1, 7, 29, tzinfo=UTC))
        ).all()
        assert list(due) == [post_id]
        assert list(not_due) == []


def test_a_naive_datetime_is_refused(db: Engine, alice: str) -> None:
    with session_scope(db) as session:
        session.add(Draft(user_id=alice, platform="x", text="t", created_at=datetime(2026, 1, 1, 12, 0)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.flush()
        session.rollback()
