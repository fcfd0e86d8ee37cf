"""Writing and optimization speed, measured side by side in one run:

* milliseconds per ``score_post`` (median and p90 over many calls on varied captions, every platform);
* captions per minute with the template writer — the writer alone, and the full ``write_caption`` tool
  (writer + fit + score + a saved draft in SQLite);
* the per-account learning on simulated accounts: fit time and held-out Spearman, learned vs prior.

The local-model writer's numbers (captions per minute, first-token and total latency) belong here too once
that writer lands (issue 4, item 3).

    python bench/write.py [--calls 3000] [--captions 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langgraph.prebuilt import ToolRuntime

from agent import repo
from agent.context import Context
from agent.db import session_scope
from agent.optimize import improve_post, learn, score_post
from agent.optimize.simulate import simulate_account
from agent.settings import load_settings
from agent.studio import build_services
from integrations.writers.base import CaptionRequest
from integrations.writers.template import TemplateWriter
from prompts.platforms import platform_names, rule
from tools.writing import write_caption

SUBJECTS = [
    "our new oat latte",
    "the summer sale on all iced drinks",
    "hiring our first data engineer",
    "a sunrise yoga class this Friday",
    "the open source release of our scheduler",
    "wedding cake designs for 2027",
    "how we roast our beans",
    "the second shop on Main Street opening Saturday",
]


def captions() -> list[tuple[str, list[str], str]]:
    writer = TemplateWriter()
    out = []
    for subject in SUBJECTS:
        for platform in platform_names():
            r = rule(platform)
            result = writer.caption(
                CaptionRequest(
                    brief=f"announce {subject}",
                    subject=subject,
                    platform=platform,
                    platform_label=r.label,
                    limit=r.limit,
                    hashtags_norm=r.hashtags_norm,
                    hashtags_max=r.hashtags_max,
                    style=r.style,
                )
            )
            out.append((result.text, result.hashtags, platform))
            long_text = (result.text + " We visit the farm every month to taste the harvest.") * 6
            out.append((long_text + " https://example.com/more", result.hashtags * 2, platform))
    return out


def bench_score(calls: int) -> tuple[float, float]:
    posts = captions()
    for text, tags, platform in posts:  # warm-up
        score_post(text, tags, platform)
    times = []
    for i in range(calls):
        text, tags, platform = posts[i % len(posts)]
        t0 = time.perf_counter()
        score_post(text, tags, platform, has_media=i % 2 == 0)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def bench_improve(rounds: int) -> float:
    posts = captions()
    times = []
    for i in range(rounds):
        text, tags, platform = posts[i % len(posts)]
        t0 = time.perf_counter()
        improve_post(text, tags, platform)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_template_writer(n: int) -> float:
    writer = TemplateWriter()
    r = rule("instagram")
    t0 = time.perf_counter()
    for i in range(n):
        subject = f"{SUBJECTS[i % len(SUBJECTS)]} {i}"
        writer.caption(
            CaptionRequest(
                brief=f"write about {subject}",
                subject=subject,
                platform=r.name,
                platform_label=r.label,
                limit=r.limit,
                hashtags_norm=r.hashtags_norm,
                hashtags_max=r.hashtags_max,
                style=r.style,
            )
        )
    return n / (time.perf_counter() - t0) * 60


def bench_caption_tool(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), _env_file=None)
        services = build_services(settings, writer=TemplateWriter())
        from agent.migrate import ensure_schema

        ensure_schema(services.engine)
        with session_scope(services.engine) as session:
            uid = repo.create_user(session, email="bench@example.com", password="long-enough-pw").id
        ctx = Context(services=services, user_id=uid, thread_id="bench")
        runtime = ToolRuntime(
            state=None, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="c1", store=None
        )
        platforms = platform_names()
        t0 = time.perf_counter()
        for i in range(n):
            _, view = write_caption.func(  # type: ignore[attr-defined]
                brief=f"announce {SUBJECTS[i % len(SUBJECTS)]}",
                platform=platforms[i % len(platforms)],
                runtime=runtime,
            )
            assert view["score"] is not None, view
        elapsed = time.perf_counter() - t0
        services.engine.dispose()
    return n / elapsed * 60


def bench_learning() -> list[tuple[int, float, float, float]]:
    rows = []
    learn(simulate_account(30, seed=0), "instagram", "Europe/Berlin")  # import scikit-learn once
    for n in (20, 40, 80, 200):
        t0 = time.perf_counter()
        report, _ = learn(simulate_account(n, seed=7), "instagram", "Europe/Berlin")
        ms = (time.perf_counter() - t0) * 1000
        rows.append((n, ms, report.learned_spearman or 0.0, report.prior_spearman or 0.0))
    return rows


def main(calls: int, n_captions: int) -> None:
    median, p90 = bench_score(calls)
    print(
        f"score_post:                {median:7.3f} ms median, {p90:.3f} ms p90 over {calls} calls "
        f"(target < 1 ms) {'OK' if median < 1 else 'OVER'}"
    )
    print(f"improve_post:              {bench_improve(max(50, calls // 20)):7.2f} ms median")
    writer_rate = bench_template_writer(n_captions * 10)
    tool_rate = bench_caption_tool(n_captions)
    print(f"template writer alone:     {writer_rate:9,.0f} captions/minute")
    print(
        f"write_caption tool (DB):   {tool_rate:9,.0f} captions/minute (writer + fit + score + saved draft)"
    )
    print(f"ratio writer/tool:         {writer_rate / tool_rate:9.1f}x")
    print("learning on simulated accounts (5-fold held-out Spearman, learned vs prior):")
    for n, ms, learned, prior in bench_learning():
        print(f"  {n:4d} posts: fit+evaluate {ms:7.1f} ms   learned {learned:5.2f}   prior {prior:5.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--captions", type=int, default=300)
    args = parser.parse_args()
    main(args.calls, args.captions)
