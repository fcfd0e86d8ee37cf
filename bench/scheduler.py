"""Scheduler benchmark: posts due within a window, published to the local outbox by `studio worker`
processes on PostgreSQL — 1 worker, then 3 — measured side by side in one run.

Two phases per worker count, each on a fresh database:
  on-time:  N posts due spread over the window (starting 2 s after the workers are up):
            lateness = published_at - run_at (p50 / p99 / max).
  backlog:  N posts all due at once: publishes per second to drain them (capacity).

    .venv/bin/python bench/scheduler.py                 # N=1000 over 10 s (about 1-2 minutes)
    .venv/bin/python bench/scheduler.py --full          # N=10,000 over 60 s (the issue's target run)

Setup inserts rows straight into scheduled_post (state 'scheduled'), bypassing the approval path, to time
only the dispatcher. Targets from issue 5: p99 lateness <= 1 s; >= 500 publishes/s; 3 workers >= 2.5x one.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa
from cryptography.fernet import Fernet

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.migrate import upgrade
from agent.core.models import ScheduledPost
from agent.core.settings import normalize_db_url

ROOT = Path(__file__).parents[1]
ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def create_db() -> str:
    name = f"studio_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_db(url: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def insert_posts(engine: sa.Engine, user_id: str, run_ats: list[datetime]) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "user_id": user_id,
            "platform": "x",
            "state": "scheduled",
            "run_at": at,
            "timezone": "UTC",
            "attempts": 0,
            "max_attempts": 5,
            "idempotency_key": uuid.uuid4().hex,
            "content": {"text": f"Bench post {i}", "hashtags": ["bench"], "media": []},
            "metrics_stage": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i, at in enumerate(run_ats)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            conn.execute(sa.insert(ScheduledPost.__table__), rows[start : start + 2000])  # type: ignore[attr-defined]


def published(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(ScheduledPost)
                .where(ScheduledPost.state == "published")
            ).scalar()
        )


def start_workers(n: int, db_url: str, data_dir: Path, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update(
        STUDIO_DATA_DIR=str(data_dir),
        STUDIO_DATABASE_URL=db_url,
        STUDIO_SCHEDULER="off",
        STUDIO_SECRET_KEY=Fernet.generate_key().decode(),
        STUDIO_AUTH_SECRET="bench",
        STUDIO_WORKER_POLL_S="0.5",
        STUDIO_SWEEP_INTERVAL_S="30",
    )
    procs = []
    for i in range(n):
        log = (logs / f"worker{n}-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "worker", "--id", f"bench-{n}-{i}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all("started" in (logs / f"worker{n}-{i}.log").read_text() for i in range(n)):
            break
        time.sleep(0.2)
    time.sleep(1.0)  # first sweep done
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=30)


def run(workers: int, n: int, window: float, tmp: Path) -> dict[str, float]:
    db_url = create_db()
    engine = make_engine(normalize_db_url(db_url))
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            uid = repo.create_user(session, email="bench@example.com").id
        procs = start_workers(workers, db_url, tmp / f"data{workers}", tmp)
        try:
            # on-time: due spread over the window
            t0 = datetime.now(UTC) + timedelta(seconds=2)
            run_ats = [t0 + timedelta(seconds=window * i / n) for i in range(n)]
            insert_posts(engine, uid, run_ats)
            while published(engine) < n:
                time.sleep(0.2)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.select(ScheduledPost.run_at, ScheduledPost.published_at).where(
                        ScheduledPost.state == "published"
                    )
                ).all()
            late = [(r.published_at - r.run_at).total_seconds() for r in rows]
            # backlog: all due at once
            insert_posts(engine, uid, [datetime.now(UTC)] * n)
            start = time.monotonic()
            while published(engine) < 2 * n:
                time.sleep(0.05)
            drain = time.monotonic() - start
        finally:
            stop(procs)
    finally:
        engine.dispose()
        drop_db(db_url)
    return {
        "p50": statistics.median(late),
        "p99": pct(late, 0.99),
        "max": max(late),
        "early": sum(1 for x in late if x < 0),
        "rate": n / drain,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="posts per phase (default 1000)")
    parser.add_argument(
        "--window", type=float, default=10.0, help="seconds the on-time posts are spread over"
    )
    parser.add_argument("--full", action="store_true", help="the issue's run: 10,000 posts over 60 s")
    args = parser.parse_args()
    n, window = (10_000, 60.0) if args.full else (args.n, args.window)
    results = {}
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        for workers in (1, 3):
            print(f"… {workers} worker(s), {n} posts", flush=True)
            results[workers] = run(workers, n, window, Path(tmp))
    print(
        f"\nScheduler → outbox on PostgreSQL, {n} posts due over {window:g} s, then {n} due at once ({os.cpu_count()} CPUs)"
    )
    print(
        f"{'workers':>8} {'p50 late s':>11} {'p99 late s':>11} {'max late s':>11} {'early':>6} {'publishes/s':>12}"
    )
    for workers, r in results.items():
        print(
            f"{workers:>8} {r['p50']:>11.3f} {r['p99']:>11.3f} {r['max']:>11.3f} {r['early']:>6.0f} {r['rate']:>12.0f}"
        )
    one, three = results[1], results[3]
    print(f"\nratio 3 workers / 1 worker, publishes/s: {three['rate'] / one['rate']:.2f}x (target >= 2.5x)")
    print(
        f"p99 lateness vs a once-a-minute cron's worst case (60 s): {one['p99'] / 60:.3f} (1 w), {three['p99'] / 60:.3f} (3 w)"
    )


if __name__ == "__main__":
    main()
