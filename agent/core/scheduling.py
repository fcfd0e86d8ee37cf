"""Scheduled posts: the state machine, the user-scoped repository functions, and the atomic claims.

The ``scheduled_post`` table is the source of truth; the timer (APScheduler) and the workers only decide
*when* to look. States::

    draft -> approved -> scheduled -> publishing -> published
                            ^   |          |  \\-> failed        (platform refused, or attempts exhausted)
                            |   |          \\---> unconfirmed   (sent, answer lost / worker died mid-send)
                            |   \\-> cancelled       |
                            +-----(retry / reconciled: not on the platform)---+

Every change is one conditional UPDATE (``... WHERE id = :id AND state = :from``: compare-and-set) plus a
``post_transition`` row with the time and the reason, in the same transaction. Two actors racing on one
post cannot both win; the loser sees :class:`Conflict`. A transition the machine does not allow raises
:class:`IllegalTransition` before touching the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from agent.core import repo
from agent.core.errors import InputError, NotFound, StudioError
from agent.core.models import Asset, DraftStatus, PlatformAccount, PostState, PostTransition, ScheduledPost
from agent.core.repo.base import owned
from agent.core.timeparse import When, localize, zone
from prompts.platforms import resolve_platform, rule

S = PostState

ALLOWED: dict[PostState | None, frozenset[PostState]] = {
    None: frozenset({S.DRAFT}),
    S.DRAFT: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SCHEDULED, S.PUBLISHING, S.CANCELLED}),  # scheduled->scheduled: reschedule
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED, S.UNCONFIRMED, S.SCHEDULED}),  # ->scheduled: retry
    S.UNCONFIRMED: frozenset({S.PUBLISHED, S.SCHEDULED, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELLED}),  # the user tries again, or gives up
    S.PUBLISHED: frozenset(),
    S.CANCELLED: frozenset(),
}
QUEUE_STATES = (S.SCHEDULED, S.PUBLISHING, S.UNCONFIRMED, S.FAILED)
METRIC_OFFSETS = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))
DEFAULT_SLOTS = (time(9, 0), time(12, 30), time(17, 30))  # local posting slots for "next free slot"
MIN_SLOT_GAP = timedelta(minutes=30)


class IllegalTransition(InputError):
    """The state machine does not allow this change (e.g. cancelling a published post)."""


class Conflict(StudioError):
    """The post changed state under us (another worker or request got there first)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _state(value: str | PostState | None) -> PostState | None:
    return None if value is None else PostState(value)


def check_transition(src: str | PostState | None, dst: str | PostState) -> None:
    s, d = _state(src), PostState(dst)
    if d not in ALLOWED[s]:
        raise IllegalTransition(f"A post cannot go from {s.value if s else 'nothing'} to {d.value}.")


def _record(conn: Connection | Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        values = [{**r, "reason": str(r.get("reason", ""))[:1000]} for r in rows]
        conn.execute(sa.insert(PostTransition), values)


def move(
    session: Session | Connection,
    *,
    post_id: int,
    src: str | PostState,
    dst: str | PostState,
    reason: str,
    now: datetime | None = None,
    extra_where: Iterable[Any] = (),
    **values: Any,
) -> bool:
    """Compare-and-set ``src -> dst`` (plus column ``values``) and record the transition. False when the
    post was not in ``src`` any more (nothing written)."""
    check_transition(src, dst)
    now = now or _now()
    table = ScheduledPost.__table__  # type: ignore[attr-defined]
    stmt = (
        sa.update(table)
        .where(table.c.id == post_id, table.c.state == str(PostState(src)), *extra_where)
        .values(state=str(PostState(dst)), updated_at=now, **values)
    )
    result = session.execute(stmt)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _record(
        session,
        [{"post_id": post_id, "from_state": str(src), "to_state": str(dst), "reason": reason, "at": now}],
    )
    return True


def transition(
    session: Session, *, post: ScheduledPost, to: str | PostState, reason: str, **values: Any
) -> ScheduledPost:
    """Move a loaded post to ``to`` (raises IllegalTransition / Conflict) and refresh it."""
    assert post.id is not None
    if not move(session, post_id=post.id, src=post.state, dst=to, reason=reason, **values):
        raise Conflict(f"Post #{post.id} changed while you were looking at it; try again.")
    session.refresh(post)
    return post


# -- user-facing repository functions ----------------------------------------------------------------


def get_post(session: Session, *, user_id: str, post_id: int) -> ScheduledPost:
    return owned(session, ScheduledPost, post_id, user_id=user_id, what="post")


def history(session: Session, *, user_id: str, post_id: int) -> list[PostTransition]:
    get_post(session, user_id=user_id, post_id=post_id)
    query = select(PostTransition).where(PostTransition.post_id == post_id).order_by(col(PostTransition.id))
    return list(session.exec(query))


OUTBOX_NAMES = frozenset({"outbox", "local outbox", "the outbox", "the local outbox", "local"})
LIVE_STATES = (S.SCHEDULED, S.PUBLISHING, S.UNCONFIRMED)  # a post that may still go out


class AccountChoice(InputError):
    """Several connected accounts fit the request; the user says which (the message lists them)."""

    def __init__(self, message: str, options: Sequence[PlatformAccount]) -> None:
        super().__init__(message)
        self.options = list(options)


def platform_label(name: str) -> str:
    """ "Instagram", "Mastodon", "webhook": a platform's name as people write it."""
    try:
        return rule(name).label
    except ValueError:
        return name


def account_label(account: PlatformAccount) -> str:
    """How an account is named to its owner: "Mastodon @me@mastodon.social", "webhook hook1"."""
    return f"{platform_label(account.platform)} {account.handle}"


def choose_account(
    session: Session, *, user_id: str, platform: str, account: str | int | None = None
) -> PlatformAccount | None:
    """The account to publish through, or None for the local outbox.

    ``account`` names it: its id (``3``, ``#3``), its handle (``hook1``, ``@me@mastodon.social``, or
    ``@me`` when only one handle starts so), a platform (``mastodon``, ``webhook``: the user's one connected
    account there), or ``outbox``. Without a name: the user's connected account on the post's platform,
    else None. A name that fits no account raises :class:`NotFound`; one that fits several (or, without
    a name, several accounts on the post's platform) raises :class:`AccountChoice`, which lists them.
    """
    accounts = repo.list_platform_accounts(session, user_id=user_id)
    if account not in (None, ""):
        return _named_account(accounts, str(account), platform)
    fitting = [a for a in accounts if a.platform == platform and a.state == "connected"]
    if len(fitting) > 1:
        raise _choice(fitting, f"You have {len(fitting)} {platform_label(platform)} accounts")
    return fitting[0] if fitting else None


def _named_account(accounts: Sequence[PlatformAccount], name: str, platform: str) -> PlatformAccount | None:
    wanted = " ".join(name.strip().lower().split())
    wanted = re.sub(r"^(?:my|our|the)\s+", "", wanted)
    wanted = re.sub(r"\s+account$", "", wanted)
    wanted = re.sub(r"^account\s+", "", wanted)
    if wanted in OUTBOX_NAMES:
        return None
    bare = wanted.lstrip("#@")
    found: list[PlatformAccount] = []
    if bare.isdigit():
        found = [a for a in accounts if str(a.id) == bare]
    if not found and not wanted.startswith("#"):
        found = [a for a in accounts if a.handle.lstrip("@").lower() == bare]
        if not found and "@" not in bare:  # "@me" for "@me@mastodon.social"
            found = [a for a in accounts if a.handle.lstrip("@").lower().split("@")[0] == bare]
        if not found:
            kind = _platform_name(bare)
            if kind is not None:
                found = [a for a in accounts if a.platform == kind]
                if not found:
                    raise NotFound(
                        f"You have no connected {platform_label(kind)} account. Connect one first "
                        "(`studio account add`), or leave the account out to use the local outbox."
                    )
    if len(found) > 1:
        raise _choice(found, f"{len(found)} of your accounts fit {name!r}")
    if not found:
        yours = ", ".join(f"{account_label(a)} (#{a.id})" for a in accounts)
        raise NotFound(
            f"No connected account {name!r}."
            + (f" Yours: {yours}." if yours else " Connect one first (`studio account add`).")
        )
    chosen = found[0]
    if chosen.state != "connected":
        raise InputError(f"The account {account_label(chosen)} is {chosen.state}; connect it again first.")
    return chosen


def _platform_name(word: str) -> str | None:
    if word in {"webhook", "webhooks", "hook"}:
        return "webhook"
    try:
        return resolve_platform(word)
    except ValueError:
        return None


def _choice(options: Sequence[PlatformAccount], what: str) -> AccountChoice:
    one_platform = len({a.platform for a in options}) == 1
    listed = "; ".join(
        f"{a.handle if one_platform else account_label(a)} (say “via {a.handle}”)" for a in options
    )
    return AccountChoice(f"Which account should it go to? {what}: {listed}.", options)


def create_post(
    session: Session,
    *,
    user_id: str,
    draft_id: int,
    account_id: int | None = None,
    reason: str = "created from the draft",
    max_attempts: int = 5,
) -> ScheduledPost:
    """A post in state ``draft`` holding a snapshot of the draft (text, hashtags, media)."""
    draft = repo.get_draft(session, user_id=user_id, draft_id=draft_id)
    if account_id is not None:
        repo.get_platform_account(session, user_id=user_id, account_id=account_id)
    media = []
    for asset_id in draft.media:
        asset = session.get(Asset, asset_id)
        if asset is not None and asset.user_id == user_id:
            media.append(
                {
                    "path": asset.storage_path,
                    "mime": asset.mime,
                    "alt": str((asset.meta or {}).get("alt", "")),
                }
            )
    now = _now()
    post = ScheduledPost(
        user_id=user_id,
        draft_id=draft.id,
        account_id=account_id,
        platform=draft.platform,
        state=S.DRAFT.value,
        max_attempts=max_attempts,
        content=_content(draft, media),
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    session.flush()
    _record(
        session,
        [{"post_id": post.id, "from_state": None, "to_state": S.DRAFT.value, "reason": reason, "at": now}],
    )
    return post


def _content(draft: Any, media: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot a post publishes; a thread draft (``split_thread``) carries its numbered posts."""
    content: dict[str, Any] = {"text": draft.text, "hashtags": list(draft.hashtags), "media": media}
    posts = (draft.meta or {}).get("posts")
    if isinstance(posts, list) and len(posts) > 1 and all(isinstance(p, str) and p.strip() for p in posts):
        content["thread"] = list(posts)
    return content


def schedule_draft(
    session: Session,
    *,
    user_id: str,
    draft_id: int,
    run_at: datetime,
    timezone: str = "UTC",
    account_id: int | None = None,
    approval: str = "approved by the user",
    max_attempts: int = 5,
) -> ScheduledPost:
    """Create, approve and schedule a post from a draft (called after the user's approval)."""
    if run_at.tzinfo is None:
        raise ValueError("run_at must be tz-aware")
    post = create_post(
        session, user_id=user_id, draft_id=draft_id, account_id=account_id, max_attempts=max_attempts
    )
    transition(session, post=post, to=S.APPROVED, reason=approval)
    transition(
        session,
        post=post,
        to=S.SCHEDULED,
        reason=f"scheduled for {_describe(run_at, timezone)}",
        run_at=run_at.astimezone(UTC),
        timezone=timezone,
    )
    repo.update_draft(session, user_id=user_id, draft_id=draft_id, status=DraftStatus.SCHEDULED.value)
    return post


def cancel_post(
    session: Session, *, user_id: str, post_id: int, reason: str = "cancelled by the user"
) -> ScheduledPost:
    post = get_post(session, user_id=user_id, post_id=post_id)
    if post.state == S.PUBLISHING:
        raise IllegalTransition(f"Post #{post_id} is being published right now; it cannot be cancelled.")
    return transition(session, post=post, to=S.CANCELLED, reason=reason)


def reschedule_post(
    session: Session, *, user_id: str, post_id: int, run_at: datetime, reason: str = ""
) -> ScheduledPost:
    """A new time for a scheduled post; also how the user retries a failed or unconfirmed one."""
    if run_at.tzinfo is None:
        raise ValueError("run_at must be tz-aware")
    post = get_post(session, user_id=user_id, post_id=post_id)
    values: dict[str, Any] = {"run_at": run_at.astimezone(UTC), "claimed_by": None, "claimed_at": None}
    if post.state in (S.FAILED, S.UNCONFIRMED):
        values["attempts"] = 0
    why = reason or f"rescheduled by the user to {_describe(run_at, post.timezone)}"
    return transition(session, post=post, to=S.SCHEDULED, reason=why, **values)


def publish_now(session: Session, *, user_id: str, post_id: int) -> ScheduledPost:
    return reschedule_post(session, user_id=user_id, post_id=post_id, run_at=_now(), reason="publish now")


def list_queue(
    session: Session,
    *,
    user_id: str,
    states: Sequence[str | PostState] = QUEUE_STATES,
    limit: int = 50,
) -> list[ScheduledPost]:
    """The user's posts still to publish or needing attention, soonest first."""
    query = (
        select(ScheduledPost)
        .where(
            ScheduledPost.user_id == user_id,
            col(ScheduledPost.state).in_([str(PostState(s)) for s in states]),
        )
        .order_by(col(ScheduledPost.run_at).nulls_last(), col(ScheduledPost.id))
        .limit(limit)
    )
    return list(session.exec(query))


def next_free_slot(
    session: Session,
    *,
    user_id: str,
    platform: str,
    account_id: int | None,
    tz: str,
    after: datetime | None = None,
    slots: Sequence[time] = DEFAULT_SLOTS,
    days: int = 60,
) -> When:
    """The first daily posting slot (local time) after ``after`` with no queued post of the same account
    (or, with no account, the same platform) within ``MIN_SLOT_GAP``."""
    zone_ = zone(tz)
    after = after or _now()
    query = select(ScheduledPost.run_at).where(
        ScheduledPost.user_id == user_id,
        col(ScheduledPost.state).in_([S.SCHEDULED.value, S.PUBLISHING.value]),
        col(ScheduledPost.run_at) >= after - MIN_SLOT_GAP,
    )
    if account_id is not None:
        query = query.where(ScheduledPost.account_id == account_id)
    else:
        query = query.where(ScheduledPost.platform == platform, col(ScheduledPost.account_id).is_(None))
    taken = [t for t in session.exec(query) if t is not None]
    day = after.astimezone(zone_).date()
    for offset in range(days):
        for slot in sorted(slots):
            when = localize(datetime.combine(day + timedelta(days=offset), slot), zone_)
            if when.at <= after:
                continue
            if all(abs(when.at - t) >= MIN_SLOT_GAP for t in taken):
                return when
    raise InputError(f"No free slot in the next {days} days.")


def _describe(run_at: datetime, tz: str) -> str:
    local = run_at.astimezone(zone(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({run_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"


def zone_label(tz: str) -> str:
    """A timezone as people say it: "New York time" for America/New_York, "UTC" for UTC."""
    name = (tz or "UTC").strip()
    if name.upper() in {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z"}:
        return "UTC"
    place = name.rsplit("/", 1)[-1]
    if "/" not in name or place.upper().startswith(("GMT", "UTC")):
        return name
    return f"{place.replace('_', ' ')} time"


def local_label(run_at: datetime, tz: str, *, now: datetime | None = None) -> str:
    """A time for a person, in the user's zone: "Tue 8 Dec, 09:00 New York time" (the year only when it is
    not this year's)."""
    local = run_at.astimezone(zone(tz))
    year = f" {local.year}" if local.year != (now or _now()).astimezone(zone(tz)).year else ""
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M} {zone_label(tz)}"


def draft_posts(
    session: Session, *, user_id: str, draft_id: int, states: Sequence[PostState] = LIVE_STATES
) -> list[ScheduledPost]:
    """The user's posts of ``draft_id`` in ``states`` (by default the live ones: scheduled, publishing or
    unconfirmed — each may still go out), soonest first."""
    query = (
        select(ScheduledPost)
        .where(
            ScheduledPost.user_id == user_id,
            ScheduledPost.draft_id == draft_id,
            col(ScheduledPost.state).in_([s.value for s in states]),
        )
        .order_by(col(ScheduledPost.run_at).nulls_last(), col(ScheduledPost.id))
    )
    return list(session.exec(query))


# -- claims and outcomes (workers) ---------------------------------------------------------------------

_T = ScheduledPost.__table__  # type: ignore[attr-defined]


def claim_due(
    engine: Engine,
    *,
    worker_id: str,
    limit: int = 50,
    now: datetime | None = None,
    post_ids: Sequence[int] | None = None,
) -> list[int]:
    """Atomically move up to ``limit`` due posts from scheduled to publishing for this worker; their ids."""
    rows = claim_due_rows(engine, worker_id=worker_id, limit=limit, now=now, post_ids=post_ids)
    return [r.id for r in rows]


def claim_due_rows(
    engine: Engine,
    *,
    worker_id: str,
    limit: int = 50,
    now: datetime | None = None,
    post_ids: Sequence[int] | None = None,
) -> list[PostRow]:
    """Atomically move up to ``limit`` due posts from scheduled to publishing for this worker, and return
    them as the dispatcher needs them (one round trip: the UPDATE returns the rows).

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` inside the UPDATE, so concurrent workers take disjoint
    rows without waiting on each other. SQLite: one UPDATE whose WHERE repeats ``state = 'scheduled'`` — a
    compare-and-set that SQLite's single writer makes atomic. Either way a post is claimed once.
    """
    now = now or _now()
    pick = sa.select(_T.c.id).where(_T.c.state == S.SCHEDULED.value, _T.c.run_at <= now)
    if post_ids is not None:
        pick = pick.where(_T.c.id.in_(list(post_ids)))
    pick = pick.order_by(_T.c.run_at, _T.c.id).limit(limit)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        # picked once, as a materialised CTE: as a plain IN (subquery) PostgreSQL may plan a semi-join that runs
        # the subquery per row, and its LIMIT no longer bounds the claim (30 of 30 claimed with limit 3)
        picked = pick.cte("picked")
        if conn.dialect.name == "postgresql":
            picked = picked.prefix_with("MATERIALIZED")
        stmt = (
            sa.update(_T)
            .where(_T.c.id.in_(sa.select(picked.c.id)), _T.c.state == S.SCHEDULED.value)
            .values(
                state=S.PUBLISHING.value,
                claimed_by=worker_id,
                claimed_at=now,
                attempts=_T.c.attempts + 1,
                updated_at=now,
            )
            .returning(*_ROW_COLUMNS)
        )
        rows = conn.execute(stmt).all()
        _record(
            conn,
            [
                {
                    "post_id": r.id,
                    "from_state": S.SCHEDULED.value,
                    "to_state": S.PUBLISHING.value,
                    "reason": f"claimed by {worker_id} (attempt {r.attempts})",
                    "at": now,
                }
                for r in rows
            ],
        )
    return sorted((_post_row(r) for r in rows), key=lambda p: p.id)


def renew_claims(
    engine: Engine, *, worker_id: str, ids: Sequence[int], now: datetime | None = None
) -> set[int]:
    """Keep this worker's claims on ``ids`` alive (their lease counts from now): the ones still its own and
    still in publishing. A claim another worker's sweeper expired meanwhile is not among them."""
    if not ids:
        return set()
    now = now or _now()
    with engine.begin() as conn:
        rows = conn.execute(
            sa.update(_T)
            .where(_T.c.id.in_(list(ids)), _T.c.state == S.PUBLISHING.value, _T.c.claimed_by == worker_id)
            .values(claimed_at=now)
            .returning(_T.c.id)
        ).all()
    return {r.id for r in rows}


def expire_claims(engine: Engine, *, lease_s: float, now: datetime | None = None) -> list[int]:
    """Posts left in publishing longer than the lease (their worker died or hung mid-send) become
    unconfirmed: the send may or may not have happened, so they are reconciled, not re-sent."""
    now = now or _now()
    cutoff = now - timedelta(seconds=lease_s)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.update(_T)
            .where(_T.c.state == S.PUBLISHING.value, _T.c.claimed_at < cutoff)
            .values(
                state=S.UNCONFIRMED.value,
                updated_at=now,
                last_error="The worker publishing this post stopped before confirming it.",
                sent_at=sa.func.coalesce(_T.c.sent_at, _T.c.claimed_at),  # at the latest its last renewal
                check_at=now,
                checks=0,
            )
            .returning(_T.c.id, _T.c.claimed_by)
        ).all()
        _record(
            conn,
            [
                {
                    "post_id": r.id,
                    "from_state": S.PUBLISHING.value,
                    "to_state": S.UNCONFIRMED.value,
                    "reason": f"claim by {r.claimed_by} expired after {lease_s:g}s: outcome unknown",
                    "at": now,
                }
                for r in rows
            ],
        )
    return sorted(r.id for r in rows)


def next_due_at(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.min(_T.c.run_at)).where(_T.c.state == S.SCHEDULED.value)
        ).scalar()
    if value is None:
        return None
    due: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return due


def upcoming(engine: Engine, *, until: datetime, limit: int = 10_000) -> list[tuple[int, datetime]]:
    """(post id, run_at) of scheduled posts due before ``until`` — what the timer sets date jobs for."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(_T.c.id, _T.c.run_at)
            .where(_T.c.state == S.SCHEDULED.value, _T.c.run_at <= until)
            .order_by(_T.c.run_at)
            .limit(limit)
        ).all()
    return [(r.id, r.run_at if r.run_at.tzinfo else r.run_at.replace(tzinfo=UTC)) for r in rows]


@dataclass(frozen=True)
class PostRow:
    """A post as the dispatcher needs it, detached from any session."""

    id: int
    user_id: str
    platform: str
    account_id: int | None
    idempotency_key: str
    content: dict[str, Any]
    run_at: datetime | None
    attempts: int
    max_attempts: int
    external_id: str | None
    published_at: datetime | None
    metrics_stage: int
    sent_at: datetime | None = None
    checks: int = 0


_ROW_COLUMNS = tuple(
    _T.c[name]
    for name in (
        "id",
        "user_id",
        "platform",
        "account_id",
        "idempotency_key",
        "content",
        "run_at",
        "attempts",
        "max_attempts",
        "external_id",
        "published_at",
        "metrics_stage",
        "sent_at",
        "checks",
    )
)


def _post_row(r: Any) -> PostRow:
    return PostRow(
        id=r.id,
        user_id=r.user_id,
        platform=r.platform,
        account_id=r.account_id,
        idempotency_key=r.idempotency_key,
        content=dict(r.content or {}),
        run_at=r.run_at,
        attempts=r.attempts,
        max_attempts=r.max_attempts,
        external_id=r.external_id,
        published_at=r.published_at,
        metrics_stage=r.metrics_stage,
        sent_at=r.sent_at,
        checks=r.checks,
    )


def load_rows(engine: Engine, ids: Sequence[int]) -> list[PostRow]:
    if not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_ROW_COLUMNS).where(_T.c.id.in_(list(ids)))).all()
    return sorted((_post_row(r) for r in rows), key=lambda p: p.id)


def unconfirmed_due(engine: Engine, *, now: datetime, limit: int = 50, per_user: int = 10) -> list[PostRow]:
    """Unconfirmed posts whose check is due, the longest waiting first, at most ``per_user`` of one user's: a
    user's many posts that cannot be checked yet never keep another user's post from being checked."""
    turn = sa.func.row_number().over(partition_by=_T.c.user_id, order_by=(_T.c.check_at, _T.c.id))
    due = (
        sa.select(_T.c.id, _T.c.check_at, turn.label("turn"))
        .where(_T.c.state == S.UNCONFIRMED.value, _T.c.check_at <= now)
        .subquery()
    )
    query = sa.select(due.c.id).where(due.c.turn <= per_user).order_by(due.c.check_at, due.c.id).limit(limit)
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(query)]
    rows = {r.id: r for r in load_rows(engine, ids)}
    return [rows[i] for i in ids if i in rows]


def metrics_due(engine: Engine, *, now: datetime, limit: int = 100) -> list[PostRow]:
    with engine.connect() as conn:
        ids = [
            r.id
            for r in conn.execute(
                sa.select(_T.c.id)
                .where(_T.c.state == S.PUBLISHED.value, _T.c.metrics_due_at <= now)
                .order_by(_T.c.metrics_due_at)
                .limit(limit)
            )
        ]
    return load_rows(engine, ids)


def first_metrics_due(published_at: datetime) -> datetime:
    return published_at + METRIC_OFFSETS[0]


def next_metrics_due(published_at: datetime, stage_done: int) -> datetime | None:
    return published_at + METRIC_OFFSETS[stage_done] if stage_done < len(METRIC_OFFSETS) else None
