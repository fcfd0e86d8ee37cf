"""Writing and optimization speed, measured side by side in one run:

* milliseconds per ``score_post`` (median and p90 over many calls on varied captions, every platform);
* captions per minute with the template writer — the writer alone, and the full ``write_caption`` tool
  (writer + fit + score + a saved draft in SQLite);
* the per-account learning on simulated accounts: fit time and held-out Spearman, learned vs prior.

* the local model (the packaged default, in the studio's supervised llama.cpp server, 2 threads): captions
  per minute, first-token and total latency per caption, beside the template writer;
* a caption from a photo, offline, end to end — one studio turn: ingest the photo, describe it with the
  offline vision backend, write the caption and its hashtags with the local model — against the 6 s target.

Models are assembled under ``--data-dir`` (default ``data``, the studio's) once; ``--no-local`` skips the
local-model parts (e.g. where its packages are not installed).

    python bench/write.py [--calls 3000] [--captions 300] [--local-captions 12] [--no-local]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langgraph.prebuilt import ToolRuntime

from agent.content.optimize.improve import improve_post
from agent.content.optimize.learning import learn
from agent.content.optimize.scorer import score_post
from agent.content.optimize.simulate import simulate_account
from agent.content.writers.base import CaptionRequest
from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.settings import load_settings
from agent.runtime.services import build_services
from agent.services.context import Context
from agent.services.llm import local_writer
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
            result = writer.caption(caption_request(subject, platform))
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
        writer.caption(CaptionRequest.for_platform(r, brief=f"write about {subject}", subject=subject))
    return n / (time.perf_counter() - t0) * 60


def bench_caption_tool(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), _env_file=None)
        services = build_services(settings, writer=TemplateWriter())
        from agent.core.migrate import ensure_schema

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


def caption_request(subject: str, platform: str) -> CaptionRequest:
    return CaptionRequest.for_platform(rule(platform), brief=f"announce {subject}", subject=subject)


def bench_local_writer(local: Any, n: int) -> tuple[float, float, float, int]:
    """Captions per minute, median first-token and total seconds, fallbacks — n captions in a row."""
    import httpx
    from compare_writers import first_token_s

    writer = local_writer(local, timeout_s=180)
    platforms = ["instagram", "x", "linkedin", "threads", "bluesky", "mastodon"]
    writer.caption(caption_request("a warm-up", "x"))  # not counted
    totals, fallbacks = [], 0
    t0 = time.perf_counter()
    for i in range(n):
        start = time.perf_counter()
        result = writer.caption(caption_request(SUBJECTS[i % len(SUBJECTS)], platforms[i % len(platforms)]))
        totals.append(time.perf_counter() - start)
        fallbacks += result.fallback_reason is not None
    rate = n / (time.perf_counter() - t0) * 60
    headers = {"Authorization": f"Bearer {local.server.api_key}"}
    with httpx.Client(headers=headers, timeout=120) as client:
        firsts = [
            first_token_s(
                local, caption_request(SUBJECTS[i % len(SUBJECTS)], platforms[i % len(platforms)]), client
            )
            for i in range(min(n, 6))
        ]
    return rate, statistics.median(firsts), statistics.median(totals), fallbacks


def _photos(folder: Path) -> list[Path]:
    import skimage.data
    from PIL import Image

    paths = []
    for name in ("coffee", "chelsea", "astronaut", "rocket"):
        path = folder / f"{name}.jpg"
        Image.fromarray(getattr(skimage.data, name)()).convert("RGB").save(path, quality=90)
        paths.append(path)
    return paths


async def bench_photo_to_caption(model_path: Path, vision_cache: Path) -> list[tuple[str, float, str]]:
    """One studio turn per photo: ingest, describe (offline vision), caption + hashtags (local model)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.runtime.studio import Studio
    from integrations.vision.offline import OfflineVision

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp) / "data", local_model=str(model_path), scheduler="off", _env_file=None
        )
        vision = OfflineVision(cache_dir=vision_cache)
        t0 = time.perf_counter()
        vision.warm_up()
        rows.append(("vision warm-up (once per process)", time.perf_counter() - t0, ""))
        t0 = time.perf_counter()
        services = build_services(settings, vision=vision)
        rows.append(("studio start with the local model", time.perf_counter() - t0, services.writer.name))
        t0 = time.perf_counter()
        warm_up = services.local_model_warm_up
        if warm_up is not None:  # the caption prompt's static part, evaluated in the background at start
            warm_up.join()
        rows.append(("model warm-up (background, at start)", time.perf_counter() - t0, ""))
        async with Studio.open(
            settings, services=services, checkpointer=InMemorySaver(), timer=False
        ) as studio:
            with session_scope(services.engine) as session:
                uid = repo.create_user(session, email="bench@example.com").id
            for photo in _photos(Path(tmp)):
                t0 = time.perf_counter()
                result = await studio.run_turn(
                    user_id=uid,
                    thread_id=f"bench-{photo.stem}",
                    text="write a caption for this photo",
                    platforms=["instagram"],
                    attachments=[photo],
                )
                elapsed = time.perf_counter() - t0
                note = (
                    f"{result.drafts[0].writer}: {result.drafts[0].text[:60]!r}"
                    if result.drafts
                    else "no draft"
                )
                rows.append((f"photo {photo.stem} -> caption", elapsed, note))
    return rows


def main_local(data_dir: Path, n: int, template_rate: float) -> None:
    from integrations.llm_server.local import LocalModel
    from integrations.llm_server.models import DEFAULT_MODEL, LocalModelError

    try:
        t0 = time.perf_counter()
        local = LocalModel.start(DEFAULT_MODEL, data_dir=data_dir, health_interval_s=30)
    except LocalModelError as exc:
        print(f"local model: not available ({exc})")
        return
    print(f"local model {local.name}: assembled/verified + server ready in {time.perf_counter() - t0:.1f} s")
    with local:
        rate, first, total, fallbacks = bench_local_writer(local, n)
        model_path = local.model.path
    print(f"local model writer:        {rate:9,.1f} captions/minute ({n} captions, {fallbacks} fell back)")
    print(f"  first token {first:5.2f} s median, whole caption {total:5.2f} s median")
    print(f"ratio template/local:      {template_rate / rate:9,.0f}x")
    rows = asyncio.run(bench_photo_to_caption(model_path, data_dir / "cache" / "vision"))
    print("caption from a photo, offline, end to end (ingest + offline vision + local model), target 6 s:")
    for label, seconds, note in rows:
        print(f"  {label:38s} {seconds:6.2f} s  {note}")
    turns = [s for label, s, _ in rows if label.startswith("photo ")]
    if turns:
        median = statistics.median(turns)
        print(f"  median turn {median:.2f} s: {'within' if median <= 6 else 'OVER'} the 6 s target")


def main(calls: int, n_captions: int) -> float:
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
    return writer_rate


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--captions", type=int, default=300)
    parser.add_argument("--local-captions", type=int, default=12)
    parser.add_argument("--no-local", action="store_true", help="skip the local model")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    template_rate = main(args.calls, args.captions)
    if not args.no_local:
        main_local(args.data_dir, args.local_captions, template_rate)
