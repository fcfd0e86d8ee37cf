"""Asset repository: keyword-only functions, every query scoped to its ``user_id`` (see :mod:`agent.repo`).

An asset is one stored input (image, audio, video, text, or a read web page), identified per user by the
sha256 of its content: the same bytes uploaded again are the same asset.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import Asset
from agent.core.repo.base import owned

PUBLIC_META_KEYS = frozenset(
    {
        "format",
        "width",
        "height",
        "megapixels",
        "frames",
        "animated",
        "orientation",
        "exif",
        "gps_removed",
        "duration_s",
        "container",
        "codecs",
        "streams",
        "has_audio",
        "has_video",
        "fps",
        "encoding",
        "chars",
        "words",
        "language",
        "language_confidence",
        "title",
        "url",
        "final_url",
        "site",
        "description",
        "content_type",
    }
)


def get_asset(session: Session, *, user_id: str, asset_id: int) -> Asset:
    return owned(session, Asset, asset_id, user_id=user_id, what="asset")


def find_asset(session: Session, *, user_id: str, sha256: str) -> Asset | None:
    return session.exec(select(Asset).where(Asset.user_id == user_id, Asset.sha256 == sha256)).first()


def find_content(session: Session, *, sha256: str) -> Asset | None:
    """Any asset with these bytes (another user's too): its content-derived metadata can be reused."""
    return session.exec(select(Asset).where(Asset.sha256 == sha256).order_by(col(Asset.id))).first()


def list_assets(session: Session, *, user_id: str, kind: str | None = None, limit: int = 100) -> list[Asset]:
    query = select(Asset).where(Asset.user_id == user_id)
    if kind:
        query = query.where(Asset.kind == kind)
    return list(session.exec(query.order_by(col(Asset.id).desc()).limit(limit)))


def count_assets(session: Session, *, user_id: str | None = None) -> int:
    query = select(sa.func.count()).select_from(Asset)
    if user_id is not None:
        query = query.where(Asset.user_id == user_id)
    return int(session.exec(query).one())


def uses_of_file(session: Session, *, storage_path: str) -> int:
    query = select(sa.func.count()).select_from(Asset).where(Asset.storage_path == storage_path)
    return int(session.exec(query).one())


def create_asset(
    session: Session,
    *,
    user_id: str,
    sha256: str,
    kind: str,
    mime: str,
    filename: str,
    size_bytes: int,
    storage_path: str,
    source_url: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Asset:
    asset = Asset(
        user_id=user_id,
        sha256=sha256,
        kind=kind,
        mime=mime,
        filename=filename[:300],
        size_bytes=size_bytes,
        storage_path=storage_path,
        source_url=source_url[:2000] if source_url else None,
        meta=meta or {},
    )
    session.add(asset)
    session.flush()
    return asset


def set_meta(session: Session, *, user_id: str, asset_id: int, key: str, value: Any) -> Asset:
    """Set ``meta[key]`` (a new dict is assigned, so the JSON column is written)."""
    asset = get_asset(session, user_id=user_id, asset_id=asset_id)
    asset.meta = {**(asset.meta or {}), key: value}
    session.add(asset)
    session.flush()
    return asset


def delete_asset(session: Session, *, user_id: str, asset_id: int) -> Asset:
    asset = get_asset(session, user_id=user_id, asset_id=asset_id)
    session.delete(asset)
    session.flush()
    return asset


def asset_view(asset: Asset, *, reused: bool = False) -> dict[str, Any]:
    """What the user, the UI and ``studio ask --json`` see of an asset (no storage paths, no caches)."""
    meta = {k: v for k, v in (asset.meta or {}).items() if k in PUBLIC_META_KEYS and k != "streams"}
    return {
        "type": "asset",
        "id": asset.id,
        "kind": asset.kind,
        "mime": asset.mime,
        "filename": asset.filename,
        "size_bytes": asset.size_bytes,
        "sha256": asset.sha256,
        "source_url": asset.source_url,
        "meta": meta,
        "reused": reused,
    }


def describe(asset: Asset) -> str:
    """One line for a planner or a reply: '#3 audio “note.ogg” (0:42, en)'."""
    meta = asset.meta or {}
    bits: list[str] = []
    if asset.kind == "image" and meta.get("width"):
        bits.append(f"{meta['width']}×{meta['height']}")
    if meta.get("duration_s") is not None:
        seconds = round(float(meta["duration_s"]))
        bits.append(f"{seconds // 60}:{seconds % 60:02d}")
    if meta.get("title"):
        bits.append(str(meta["title"])[:80])
    if meta.get("language"):
        bits.append(str(meta["language"]))
    name = asset.filename or asset.source_url or ""
    extra = f" ({', '.join(bits)})" if bits else ""
    return f"#{asset.id} {asset.kind} “{name}”{extra}"


MEDIA_KINDS = frozenset({"image", "video"})
MAX_MEDIA_PER_POST = 10


def postable_media(session: Session, *, user_id: str, asset_ids: list[int]) -> list[int]:
    """The ids of this user's image/video assets to attach to a draft; a wrong id is a clear error."""
    ids = list(dict.fromkeys(int(i) for i in asset_ids))
    if len(ids) > MAX_MEDIA_PER_POST:
        raise InputError(f"A post holds at most {MAX_MEDIA_PER_POST} images or videos.")
    for asset_id in ids:
        asset = get_asset(session, user_id=user_id, asset_id=asset_id)
        if asset.kind not in MEDIA_KINDS:
            raise InputError(
                f"Asset #{asset_id} is {asset.kind}; only images and videos can be posted as media."
            )
    return ids
