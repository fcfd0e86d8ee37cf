"""How well the studio understands requests and how grounded its drafts are, on labelled sets kept in the repo.

1. Understanding (``bench/data/understanding/requests.jsonl``: requests in six languages with the Brief a
   person expects): intent accuracy (the whole list of intents right, and the main intent right), slot
   precision / recall / F1 (platforms, count, language, tone, subject, facts, constraints, draft refs, body),
   per language.
2. Writing (``bench/data/understanding/writing.jsonl``: writing briefs with their facts and constraints): for
   each writer — the template writer, each packaged local model that is installed, a configured endpoint
   (``STUDIO_LLM_*``) — the drafts the studio would post (the writer's output after the grounding checks,
   repairs and fallbacks of ``agent.services.drafting``): constraints kept, drafts with an unsupported fact,
   emoji that do not fit the subject, language right, and the raw writer's own rates before repair.

Each set keeps every third line as a held-out ``test`` part that is not used to tune the parser or the
writers; the README quotes the ``test`` numbers. ``--split dev`` measures the part used for tuning.

    python bench/understanding.py [--split test|dev|all] [--writers template,qwen-0.5b,endpoint] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.content.brief import Brief, Intent
from agent.content.understand import fold, parse
from agent.services.routing import SemanticRouter
from integrations.embeddings import onnx_minilm_encoder

DATA = Path(__file__).with_name("data") / "understanding"


def load(name: str, split: str) -> list[dict[str, Any]]:
    """The labelled rows of one split; the requests' dev split includes the extra dev sets (all dev)."""
    files = [DATA / name]
    if name == "requests.jsonl" and split != "test":
        files += [DATA / "requests_extra.jsonl", DATA / "requests_dev2.jsonl", DATA / "requests_dev3.jsonl"]
    rows = [
        json.loads(line)
        for path in files
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if split == "all" or r["split"] == split]


# -- understanding -------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w$€£%@#:/.]+", " ", fold(text)).split())


def _tokens(text: str) -> set[str]:
    stop = {
        "our",
        "my",
        "the",
        "a",
        "an",
        "new",
        "nuestro",
        "nuestra",
        "nos",
        "notre",
        "unser",
        "unsere",
        "nosso",
    }
    return {t for t in _norm(text).split() if t not in stop}


def _fact_match(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na and nb) and (na == nb or na in nb or nb in na)


def slot_items(brief: dict[str, Any]) -> list[tuple[str, str]]:
    """The slots of a Brief as comparable items (facts and the subject are matched leniently)."""
    items: list[tuple[str, str]] = []
    items += [("platform", p) for p in brief.get("platforms") or []]
    if brief.get("count") is not None:
        items.append(("count", str(brief["count"])))
    if brief.get("language"):
        items.append(("language", str(brief["language"])))
    if brief.get("tone"):
        items.append(("tone", str(brief["tone"])))
    if brief.get("subject"):
        items.append(("subject", str(brief["subject"])))
    items += [("fact", str(f["text"])) for f in brief.get("facts") or []]
    c = brief.get("constraints") or {}
    for key in ("hashtags", "emoji", "max_chars"):
        if c.get(key) is not None:
            items.append((key, str(c[key])))
    items += [("must_include", str(w)) for w in c.get("must_include") or []]
    items += [("must_avoid", str(w)) for w in c.get("must_avoid") or []]
    items += [("draft_ref", str(r)) for r in brief.get("draft_refs") or []]
    if brief.get("body"):
        items.append(("body", str(brief["body"])))
    return items


def _same(kind: str, gold: str, got: str) -> bool:
    if kind == "subject":
        g, p = _tokens(gold), _tokens(got)
        return bool(g and p) and len(g & p) / len(g | p) >= 0.5
    if kind in ("fact", "must_include", "must_avoid", "body"):
        return _fact_match(gold, got)
    return gold.lower() == got.lower()


def match(gold: list[tuple[str, str]], got: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives), each gold item matched at most once."""
    left = list(got)
    tp = 0
    for kind, value in gold:
        hit = next((i for i, (k, v) in enumerate(left) if k == kind and _same(kind, value, v)), None)
        if hit is not None:
            tp += 1
            left.pop(hit)
    return tp, len(left), len(gold) - tp


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate_understanding(
    rows: Iterable[dict[str, Any]],
    verbose: bool = False,
    fallback: Callable[[str], Intent | None] | None = None,
) -> dict[str, Any]:
    per_lang: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    for row in rows:
        brief: Brief = parse(row["text"], attachments=tuple(row.get("attachments") or ()), fallback=fallback)
        got = brief.model_dump(mode="json")
        gold = row["expected"]
        c = per_lang[row["lang"]]
        c["n"] += 1
        c["intents"] += got["intents"] == gold["intents"]
        c["main"] += (
            bool(got["intents"]) and bool(gold["intents"]) and got["intents"][0] == gold["intents"][0]
        )
        g_items, p_items = slot_items(gold), slot_items(got)
        tp, fp, fn = match(g_items, p_items)
        c["tp"] += tp
        c["fp"] += fp
        c["fn"] += fn
        for kind in {k for k, _ in g_items} | {k for k, _ in p_items}:
            ktp, kfp, kfn = match([i for i in g_items if i[0] == kind], [i for i in p_items if i[0] == kind])
            per_kind[kind]["tp"] += ktp
            per_kind[kind]["fp"] += kfp
            per_kind[kind]["fn"] += kfn
        if verbose and (got["intents"] != gold["intents"] or fp or fn):
            wrong = [i for i in p_items if not any(_same(i[0], g[1], i[1]) for g in g_items if g[0] == i[0])]
            missed = [g for g in g_items if not any(_same(g[0], g[1], i[1]) for i in p_items if i[0] == g[0])]
            misses.append(
                f"{row['id']}: {row['text'][:90]!r}\n    intents {got['intents']} (want {gold['intents']})"
                f"\n    extra {wrong}\n    missed {missed}"
            )
    total: Counter[str] = Counter()
    for c in per_lang.values():
        total.update(c)
    return {"per_lang": per_lang, "total": total, "per_kind": per_kind, "misses": misses}


def print_understanding(result: dict[str, Any], split: str) -> None:
    print(f"\n## Understanding ({split} split)\n")
    print(
        "| language | requests | intents exactly right | main intent right | slot precision | slot recall | slot F1 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [*sorted(result["per_lang"].items()), ("all", result["total"])]
    for lang, c in rows:
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        n = c["n"] or 1
        print(
            f"| {lang} | {c['n']} | {c['intents'] / n:.1%} | {c['main'] / n:.1%} | {p:.1%} | {r:.1%} | {f:.1%} |"
        )
    print("\n| slot | precision | recall | F1 |\n|---|---:|---:|---:|")
    for kind, c in sorted(result["per_kind"].items()):
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        print(f"| {kind} | {p:.1%} | {r:.1%} | {f:.1%} |")


# -- writing ---------------------------------------------------------------------------------------------

_NUM = re.compile(r"\d+(?:[.,]\d+)?")


def _labelled_unsupported(text: str, row: dict[str, Any]) -> list[str]:
    """Facts of a draft the labelled set does not support — measured against the labels, not the checker
    the studio enforces: every number must be a number of a labelled fact or of the request or material, and
    no offer or product claim word may appear that the request and material do not use."""
    from agent.content.emoji import vocabulary
    from agent.content.grounding import NUMBER_WORDS

    material = (row.get("material") or {}).get("text") or ""
    allowed_text = fold(" ".join([row["request"], material, *(f["text"] for f in row["facts"])]))
    allowed = {
        float(n.replace(",", "."))
        for n in _NUM.findall(allowed_text)
        if n.replace(",", "").replace(".", "").isdigit()
    }
    allowed |= {float(v) for w, v in NUMBER_WORDS.items() if re.search(rf"\b{w}\b", allowed_text)}
    allowed |= {a % 12 for a in allowed if a == int(a)} | {a + 12 for a in allowed if a < 12}
    out = []
    for n in _NUM.findall(fold(text)):
        try:
            value = float(n.replace(",", "."))
        except ValueError:
            continue
        if value not in allowed and value % 12 not in allowed:
            out.append(n)
    folded = fold(text)
    for claim in vocabulary().claims:
        pattern = rf"(?<![\w]){re.escape(claim)}" + (r"\w*" if claim[-1].isalnum() else "")
        if re.search(pattern, folded) and not re.search(pattern, allowed_text):
            out.append(claim)
    return out


def _labelled_unfit_emoji(text: str, row: dict[str, Any]) -> list[str]:
    """Emoji of a draft that depict nothing of the brief's labelled emoji topics or subject (generic ✨ ok)."""
    from agent.content.emoji import unfit_emoji

    context = " ".join([*(row.get("emoji_topics") or []), row.get("subject") or "", row["request"]])
    return unfit_emoji(text, context)


def _kept(text: str, tags: list[str], row: dict[str, Any], detect: Any) -> list[str]:
    """The constraints of the row the draft breaks (empty: all kept)."""
    from agent.content.text import emoji_clusters, strip_emoji

    c = row["constraints"]
    broken = []
    if c.get("hashtags") is not None and len(tags) != c["hashtags"]:
        broken.append(f"hashtags {len(tags)}/{c['hashtags']}")
    if c.get("emoji") is False and emoji_clusters(text):
        broken.append("emoji")
    if c.get("max_chars") is not None and len(text) > c["max_chars"]:
        broken.append("length")
    broken += [f"misses {w}" for w in c.get("must_include") or [] if fold(w) not in fold(text)]
    broken += [
        f"says {w}" for w in c.get("must_avoid") or [] if re.search(rf"\b{re.escape(fold(w))}\b", fold(text))
    ]
    if len(strip_emoji(text).split()) >= 6:
        code, confidence = detect(strip_emoji(text))
        if code and code != row["language"] and confidence >= 0.9:
            broken.append(f"language {code}")
    return broken


def evaluate_writer(name: str, writer: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from agent.content.brief import Constraints
    from agent.content.writers.base import VoiceGuide
    from agent.services.drafting import caption_request, write_caption
    from integrations.media.text import LanguageDetector
    from prompts.platforms import rule

    detect = LanguageDetector().detect
    stats: Counter[str] = Counter()
    examples: list[str] = []
    seconds: list[float] = []
    for row in rows:
        r = rule(row["platform"])
        brief = parse(row["request"])
        constraints = Constraints(**row["constraints"])
        brief = brief.model_copy(update={"constraints": constraints})
        material = (row.get("material") or {}).get("text") or ""
        voice = VoiceGuide(
            language=row["language"],
            tone=row.get("tone") or "friendly",
            emoji_allowed=constraints.emoji is not False,
        )
        request = caption_request(
            r,
            brief,
            request=row["request"],
            subject=row.get("subject") or brief.subject,
            voice=voice,
            material=material,
        )
        t0 = time.perf_counter()
        raw = writer.caption(request)
        drafted = write_caption(
            writer,
            request,
            r,
            constraints=constraints,
            sources=f"{row['request']} {material}",
            detect=detect,
            written=raw,
        )
        seconds.append(time.perf_counter() - t0)
        stats["n"] += 1
        for prefix, text, tags in (
            ("raw", raw.text, raw.hashtags),
            ("final", drafted.text, drafted.hashtags),
        ):
            unsupported = _labelled_unsupported(text, row)
            unfit = _labelled_unfit_emoji(text, row)
            broken = _kept(text, list(tags), row, detect)
            stats[f"{prefix}_unsupported"] += bool(unsupported)
            stats[f"{prefix}_unfit"] += bool(unfit)
            stats[f"{prefix}_broken"] += bool(broken)
            if prefix == "final" and (unsupported or unfit or broken) and len(examples) < 6:
                examples.append(f"{row['id']} {unsupported + unfit + broken}: {text[:120]!r}")
        stats["fallbacks"] += drafted.writer != raw.writer
    return {
        "name": name,
        "stats": stats,
        "examples": examples,
        "median_s": statistics.median(seconds) if seconds else 0.0,
    }


def writers_to_compare(names: list[str], data_dir: Path) -> list[tuple[str, Any, Any]]:
    """(name, writer, closer) for each writer asked for that can run here."""
    from agent.content.writers.template import TemplateWriter

    out: list[tuple[str, Any, Any]] = []
    for name in names:
        if name == "template":
            out.append(("template", TemplateWriter(), None))
        elif name.startswith("qwen") or name.startswith("smollm"):
            from agent.services.llm import local_writer
            from integrations.llm_server.local import LocalModel
            from integrations.llm_server.models import PACKAGED_MODELS, LocalModelError

            key = next((k for k in PACKAGED_MODELS if k.startswith(name)), name)
            try:
                local = LocalModel.start(key, data_dir=data_dir, health_interval_s=30)
            except (LocalModelError, OSError) as exc:
                print(f"{name}: not available here ({exc})")
                continue
            out.append((f"local {key}", local_writer(local, timeout_s=180), local))
        elif name == "endpoint" and os.environ.get("STUDIO_LLM_MODEL"):
            from agent.core.settings import load_settings
            from agent.services.llm import make_chat_model
            from agent.services.llm_writer import LLMWriter

            settings = load_settings()
            model = make_chat_model(settings)
            if model is not None:
                out.append(
                    (f"endpoint {settings.llm_model}", LLMWriter(model, settings.llm_model or "model"), None)
                )
    return out


def print_writing(results: list[dict[str, Any]], split: str) -> None:
    print(f"\n## Writing ({split} split): the drafts the studio would show, and the writer's own output\n")
    print(
        "| writer | briefs | constraints kept | drafts with an unsupported fact | drafts with an unrelated emoji | "
        "writer alone: unsupported / unrelated emoji / constraints broken | fell back to template | median s |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for res in results:
        c = res["stats"]
        n = c["n"] or 1
        print(
            f"| {res['name']} | {c['n']} | {1 - c['final_broken'] / n:.1%} | {c['final_unsupported'] / n:.1%} | "
            f"{c['final_unfit'] / n:.1%} | {c['raw_unsupported'] / n:.1%} / {c['raw_unfit'] / n:.1%} / "
            f"{c['raw_broken'] / n:.1%} | {c['fallbacks'] / n:.1%} | {res['median_s']:.2f} |"
        )
    for res in results:
        if res["examples"]:
            print(f"\n{res['name']}, drafts still failing a labelled check:")
            print("\n".join(f"- {e}" for e in res["examples"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=("test", "dev", "all"))
    ap.add_argument("--misses", action="store_true", help="list the requests read wrong (use on dev only)")
    ap.add_argument(
        "--writers", default="template", help="template, qwen-0.5b, qwen-1.5b, endpoint (comma list)"
    )
    ap.add_argument("--limit", type=int, default=0, help="at most this many writing briefs")
    ap.add_argument(
        "--routing",
        default="on",
        choices=("on", "off"),
        help="semantic routing of requests no cue matches (on: as the studio does by default)",
    )
    ap.add_argument(
        "--file", help="measure the requests of one file of the set instead (e.g. requests_dev3.jsonl)"
    )
    ap.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "studio-bench-understanding"
    )
    args = ap.parse_args()
    rows = load("requests.jsonl", args.split)
    if args.file:
        rows = [
            json.loads(line) for line in (DATA / args.file).read_text(encoding="utf-8").splitlines() if line
        ]
    router = (
        SemanticRouter(onnx_minilm_encoder, cache_dir=args.data_dir / "cache")
        if args.routing == "on"
        else None
    )
    result = evaluate_understanding(rows, verbose=args.misses, fallback=router)
    print_understanding(result, args.split)
    if args.misses:
        print("\n" + "\n".join(result["misses"]))
    briefs = load("writing.jsonl", args.split)[: args.limit or None]
    results = []
    for name, writer, closer in writers_to_compare(args.writers.split(","), args.data_dir):
        try:
            results.append(evaluate_writer(name, writer, briefs))
        finally:
            if closer is not None:
                closer.close()
    print_writing(results, args.split)


if __name__ == "__main__":
    main()
