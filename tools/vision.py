"""Image understanding as a tool: what is in an uploaded image or video, through the vision port.

The result (embedding included) is stored in the asset's ``meta["vision"]``: asking again about the same
asset with the same backend recomputes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from PIL import Image, UnidentifiedImageError

from agent.core.db import session_scope
from agent.core.errors import InputError, ToolFailed
from agent.core.repo import assets as asset_repo
from agent.services.results import ImageDescriptionResult, ToolOutput
from integrations.vision.analysis import merge_results
from integrations.vision.base import VisionResult, VisionUnavailable
from integrations.vision.frames import VideoUnreadable, sample_keyframes
from integrations.vision.vocabulary import CONTENT_CATEGORIES, load_vocabulary
from prompts.platforms import rule
from tools.common import tool_errors, user_session

KEYFRAMES = 4  # frames sampled from a video
CACHE_VERSION = 1  # bump when the stored shape changes: older entries are recomputed
VISUAL_KINDS = frozenset({"image", "video"})


def asset_file(storage_path: str, data_dir: Path) -> Path:
    """The asset's file: an absolute storage path as is, a relative one under the data dir."""
    path = Path(storage_path)
    if path.is_absolute():
        return path
    for candidate in (data_dir / path, data_dir / "assets" / path):
        if candidate.exists():
            return candidate
    return data_dir / path


def _artifact(asset_id: int, kind: str, record: dict[str, Any], *, cached: bool) -> dict[str, Any]:
    seen = {k: v for k, v in record.items() if k not in {"embedding", "version"}}
    if kind == "video":
        seen.setdefault("keyframes", [])
    return ImageDescriptionResult(
        asset_id=asset_id,
        kind=kind,
        **seen,
        embedding_dim=len(record["embedding"]) if record.get("embedding") else 0,
        cached=cached,
    ).model_dump(mode="json")


def _summary(view: dict[str, Any], platforms: tuple[str, ...]) -> str:
    kind = "Video" if view["kind"] == "video" else "Image"
    content = [lb for lb in view["labels"] if lb["category"] in CONTENT_CATEGORIES]
    rest = [lb["label"] for lb in view["labels"] if lb["category"] not in CONTENT_CATEGORIES]
    lines = [f"{kind} #{view['asset_id']} ({view['width']}×{view['height']}), seen by {view['backend']}:"]
    shown = ", ".join(f"{lb['label']} ({lb['score']:.2f})" for lb in content[:6]) or "nothing recognised"
    lines.append(f"What is in it: {shown}.")
    if rest:
        lines.append(f"Look: {', '.join(rest[:8])}.")
    lines.append(f'Text in it: "{view["text"]}".' if view["text"] else "Text in it: none.")
    if view.get("subject"):
        lines.append(f"Subject for writing: {view['subject']}")
    lines.append(f"Alt text draft: {view['alt_text']}")
    lines.append(
        "Colours: " + ", ".join(f"{c['name']} {c['hex']} ({c['share']:.0%})" for c in view["colors"])
    )
    for platform in platforms:
        crop = view["crop"].get(platform)
        if crop:
            lines.append(f"Crop for {rule(platform).label}: {crop['advice']}")
    if view.get("keyframes"):
        times = ", ".join(f"{k['t']:.1f}s" for k in view["keyframes"])
        lines.append(f"Keyframes at {times}.")
    lines.append("NSFW: yes — do not publish without review." if view["nsfw"] else "NSFW: no.")
    return "\n".join(lines)


def _open_image(path: Path) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        return img.copy() if img.mode in {"RGB", "RGBA", "L", "P"} else img.convert("RGB")


def _see(vision: Any, kind: str, path: Path) -> tuple[VisionResult, list[dict[str, Any]] | None]:
    if kind == "image":
        return vision.describe(_open_image(path)), None
    frames = sample_keyframes(path, KEYFRAMES)
    results = vision.describe_many([f.image for f in frames])
    keyframes = [
        {
            "t": f.t,
            "labels": [{"label": lb.label, "score": lb.score} for lb in r.top(3)],
            "text": r.text,
            "nsfw": r.nsfw,
        }
        for f, r in zip(frames, results, strict=True)
    ]
    return merge_results(results, load_vocabulary()), keyframes


@tool(response_format="content_and_artifact")
@tool_errors
def describe_image(asset_id: int, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Look at an uploaded image or video (by its asset id) and say what is in it.

    Returns labels with scores (subjects, scenes, food and drink, products, people and activities, then
    mood, style, colours and format), text found in the picture, an alt-text draft, the main colours, crop
    advice per platform, and whether it is NSFW. For a video, keyframes are sampled and described together.
    Call it before writing about a photo or video, and pass its `subject` (or the alt text) as `subject`
    to write_caption.
    """
    with user_session(runtime) as (session, ctx):
        asset = asset_repo.get_asset(session, user_id=ctx.user_id, asset_id=asset_id)
        kind, storage_path, meta = asset.kind, asset.storage_path, dict(asset.meta or {})
    if kind not in VISUAL_KINDS:
        raise InputError(
            f"Asset #{asset_id} is {kind}, not an image or a video: there is nothing to look at."
        )
    vision = ctx.services.vision
    if vision is None:
        raise ToolFailed("Image understanding is not set up in this studio.")
    platforms = ctx.platforms or tuple(ctx.services.settings.default_platforms)
    try:
        backend = vision.name
        stored = meta.get("vision")
        if (
            isinstance(stored, dict)
            and stored.get("version") == CACHE_VERSION
            and stored.get("backend") == backend
        ):
            view = _artifact(asset_id, kind, stored, cached=True)
            return _summary(view, platforms), view
        path = asset_file(storage_path, ctx.services.settings.data_dir)
        if not path.is_file():
            raise ToolFailed(f"The file of asset #{asset_id} is missing from storage; upload it again.")
        result, keyframes = _see(vision, kind, path)
    except VisionUnavailable as exc:  # the backend's own failure, said as the user's
        raise ToolFailed(f"Image understanding is unavailable: {exc}") from exc
    except (UnidentifiedImageError, Image.DecompressionBombError, VideoUnreadable, OSError) as exc:
        raise InputError(f"Could not read {kind} #{asset_id}: {exc}") from exc
    record = {**result.to_dict(embedding=True), "version": CACHE_VERSION}
    if keyframes is not None:
        record["keyframes"] = keyframes
    with session_scope(ctx.services.engine) as session:
        asset_repo.set_meta(session, user_id=ctx.user_id, asset_id=asset_id, key="vision", value=record)
    view = _artifact(asset_id, kind, record, cached=False)
    return _summary(view, platforms), view
