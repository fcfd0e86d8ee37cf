"""Can a packaged local model translate a post well enough to be posted? Measured on labelled posts
(``bench/data/translation/posts.jsonl``): each post with, per target language, the terms a faithful translation
must carry (any one spelling of each: "avena" for oat, "jueves" for Thursday, "12" for 12 spots).

For each model: the share of translations the studio would save (the language asked, no fact the original
lacks: the checks of ``tools.rewrite``), the share of those that also carry every labelled term (faithful),
and each output, to be read. The template writer does not translate (0 saved), so it is not listed.

    python bench/translation.py [--models qwen-0.5b,qwen-1.5b] [--languages es,fr,de]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.content.grounding import unsupported_facts
from agent.content.writers.base import TranslateRequest
from agent.services.llm import local_writer
from integrations.llm_server.local import LocalModel
from integrations.llm_server.models import LocalModelError
from integrations.media.text import LanguageDetector
from prompts.languages import language_name

POSTS = Path(__file__).with_name("data") / "translation" / "posts.jsonl"


def carries(text: str, terms: list[list[str]]) -> list[str]:
    """The labelled terms the translation misses (each term: any of its spellings)."""
    folded = text.casefold()
    return [alts[0] for alts in terms if not any(a.casefold() in folded for a in alts)]


def measure(model: str, languages: list[str], data_dir: Path) -> dict[str, Any]:
    posts = [json.loads(line) for line in POSTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    detector = LanguageDetector()
    rows, seconds = [], []
    with LocalModel.start(model, data_dir=data_dir) as local:
        writer = local_writer(local, timeout_s=120)
        for post in posts:
            for code in languages:
                started = time.perf_counter()
                result = writer.translate(
                    TranslateRequest(
                        platform="instagram",
                        platform_label="Instagram",
                        limit=2200,
                        counting="chars",
                        text=post["text"],
                        target_language=code,
                        target_language_name=language_name(code),
                        source_language="en",
                    )
                )
                seconds.append(time.perf_counter() - started)
                detected, confidence = detector.detect(result.text)
                wrong_language = bool(detected and detected != code and confidence >= 0.8)
                added = unsupported_facts(result.text, post["text"])
                saved = result.changed and not wrong_language and not added
                missed = carries(result.text, post["terms"][code])
                rows.append(
                    {"id": post["id"], "lang": code, "text": result.text, "saved": saved, "missed": missed}
                )
    saved_rows = [r for r in rows if r["saved"]]
    return {
        "model": model,
        "n": len(rows),
        "saved": len(saved_rows),
        "faithful": sum(1 for r in saved_rows if not r["missed"]),
        "median_s": statistics.median(seconds),
        "rows": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="qwen-0.5b,qwen-1.5b")
    ap.add_argument("--languages", default="es,fr,de")
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "studio-bench-translation")
    args = ap.parse_args()
    results = []
    for model in args.models.split(","):
        try:
            results.append(measure(model, args.languages.split(","), args.data_dir))
        except LocalModelError as exc:
            print(f"{model}: not measured ({exc})")
    print(
        "\n| model | translations | saved by the checks | saved and faithful (every labelled term) | median s |"
    )
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['model']} | {r['n']} | {r['saved'] / r['n']:.0%} | {r['faithful'] / r['n']:.0%} | "
            f"{r['median_s']:.1f} |"
        )
    for r in results:
        print(f"\n### {r['model']}\n")
        for row in r["rows"]:
            verdict = "saved" if row["saved"] else "refused"
            missing = f" — misses {', '.join(row['missed'])}" if row["missed"] else ""
            print(f"- {row['id']} {row['lang']} ({verdict}{missing}): {row['text']}")


if __name__ == "__main__":
    main()
