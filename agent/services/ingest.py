"""Ingest: the one step every input goes through — chat upload, Slack file, CLI ``--file``, URL, pasted text.

1. The bytes are spooled to ``<data_dir>/assets/.incoming`` while they are hashed (sha256) and counted.
2. If this user already has these bytes, that asset is returned as it is: nothing is probed or recomputed.
   If another user has them, the content-derived metadata and the stored file are reused.
3. Otherwise the content is probed (type by content, limits, corruption, name vs content, metadata), and
   the file is moved to ``<data_dir>/assets/<sha[:2]>/<sha256><ext>`` (GPS removed from images first).
4. A row in ``asset`` records it for the user.

A rejected input raises :class:`~agent.errors.InputError` with a message that says what is wrong and what
the limit is; its spooled bytes are deleted and no row is written, so nothing of it is left behind.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from agent.core.db import session_scope
from agent.core.errors import InputError, NotFound, ToolFailed
from agent.core.models import Asset
from agent.core.repo import assets as asset_repo
from agent.core.settings import Settings
from integrations.media.errors import MediaRejected
from integrations.media.formats import EXTENSIONS, FORMATS, extension, name_contradicts, promised_label
from integrations.media.probe import Limits, human_bytes, probe
from integrations.media.store import AssetStore, sha256_of
from integrations.media.text import LanguageDetector, find_urls, text_meta
from integrations.web.extract import decode_body, readable_page
from integrations.web.fetch import FetchFailed, FetchPolicy, FetchRefused, SafeFetcher

log = logging.getLogger(__name__)

# a path, or (bytes or a path, the name the user gave it) — e.g. a chat upload stored under a random name
Attachment = Path | str | tuple[bytes | Path, str]
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class Ingested:
    asset: Asset
    reused: bool  # this user had these bytes already: nothing was recomputed
    text: str | None = None  # the text of a text asset or a read web page

    def view(self) -> dict[str, Any]:
        return asset_repo.asset_view(self.asset, reused=self.reused)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        image_bytes=settings.max_image_bytes,
        audio_bytes=settings.max_audio_bytes,
        video_bytes=settings.max_video_bytes,
        text_bytes=settings.max_text_bytes,
        image_pixels=settings.max_image_pixels,
        media_seconds=settings.max_media_seconds,
    )


def fetch_policy_from(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        max_bytes=settings.url_max_bytes,
        connect_timeout_s=settings.url_connect_timeout_s,
        read_timeout_s=settings.url_read_timeout_s,
        total_timeout_s=settings.url_total_timeout_s,
        max_redirects=settings.url_max_redirects,
        allow_loopback=settings.url_allow_loopback,
    )


def safe_name(name: str) -> str:
    """A display name: the last path component, printable, at most 200 characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "upload"


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        fetcher: SafeFetcher | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.limits = limits_from(settings)
        self.store = AssetStore(settings.data_dir / "assets")
        self.fetcher = fetcher or SafeFetcher(fetch_policy_from(settings))
        self.detector = detector or LanguageDetector()

    # -- files -------------------------------------------------------------------------------------------

    def ingest(
        self,
        *,
        user_id: str,
        data: bytes | Path,
        filename: str | None = None,
        source_url: str | None = None,
    ) -> Ingested:
        """Ingest one file (a path or bytes with its name)."""
        if isinstance(data, Path):
            name = safe_name(filename or data.name)
            if not data.is_file():
                raise InputError(f"{name}: no such file.")
            size = data.stat().st_size
            if size > self.limits.max_bytes:
                raise InputError(
                    f"{name} is {human_bytes(size)}; the most I take is {human_bytes(self.limits.max_bytes)}."
                )
            known = self._known(user_id, sha256_of(data), name) if size else None  # a re-upload: done here
            if known is not None:
                return known
        else:
            name = safe_name(filename or "upload")
        try:
            with self.store.spool(data, name=name, max_bytes=self.limits.max_bytes) as (tmp, sha, size):
                if size == 0:
                    raise MediaRejected(f"{name} is empty (0 bytes).")
                known = self._known(user_id, sha, name)
                if known is not None:
                    return known
                shared = self._shared(user_id, sha, name, size, source_url)
                if shared is not None:
                    return shared
                probed = probe(tmp, name=name, size=size, limits=self.limits, detector=self.detector)
                final, created = self.store.put(tmp, sha, probed.ext, data=probed.cleaned)
                try:
                    asset = self._record(
                        user_id=user_id,
                        sha=sha,
                        kind=probed.kind,
                        mime=probed.mime,
                        name=name,
                        size=size,
                        path=final,
                        source_url=source_url,
                        meta=probed.meta,
                    )
                except IntegrityError:  # the same bytes arrived twice at once: the other one won
                    known = self._known(user_id, sha, name)
                    if known is None:
                        raise
                    return known
                except BaseException:
                    if created:
                        self.store.remove(final)
                    raise
                return Ingested(asset=asset, reused=False, text=probed.text)
        except MediaRejected as exc:
            raise InputError(str(exc)) from None

    def ingest_many(self, *, user_id: str, items: Sequence[Attachment]) -> list[Ingested]:
        """All attachments of one message, or none: when one is refused, the ones this call created are
        removed again and the refusal is raised."""
        done: list[Ingested] = []
        try:
            for item in items:
                if isinstance(item, tuple):
                    data, name = item
                    source = data if isinstance(data, Path) else bytes(data)
                    done.append(self.ingest(user_id=user_id, data=source, filename=name))
                else:
                    done.append(self.ingest(user_id=user_id, data=Path(item)))
        except BaseException:
            self._undo([d for d in done if not d.reused], user_id)
            raise
        return done

    def _undo(self, created: list[Ingested], user_id: str) -> None:
        with session_scope(self.engine) as session:
            for item in created:
                if item.asset.id is None:
                    continue
                asset = asset_repo.delete_asset(session, user_id=user_id, asset_id=item.asset.id)
                if asset_repo.uses_of_file(session, storage_path=asset.storage_path) == 0:
                    self.store.remove(Path(asset.storage_path))

    def _known(self, user_id: str, sha: str, name: str) -> Ingested | None:
        with session_scope(self.engine) as session:
            asset = asset_repo.find_asset(session, user_id=user_id, sha256=sha)
        if asset is None:
            return None
        _check_name(name, asset)
        return Ingested(asset=asset, reused=True, text=self._text_of(asset))

    def _shared(
        self, user_id: str, sha: str, name: str, size: int, source_url: str | None
    ) -> Ingested | None:
        """Another user's asset with the same bytes: reuse its file and content-derived metadata."""
        with session_scope(self.engine) as session:
            other = asset_repo.find_content(session, sha256=sha)
        if other is None or not Path(other.storage_path).is_file() or other.kind == "url":
            return None
        _check_name(name, other)
        meta = {k: v for k, v in (other.meta or {}).items() if k in asset_repo.PUBLIC_META_KEYS}
        asset = self._record(
            user_id=user_id,
            sha=sha,
            kind=other.kind,
            mime=other.mime,
            name=name,
            size=size,
            path=Path(other.storage_path),
            source_url=source_url,
            meta=meta,
        )
        return Ingested(asset=asset, reused=False, text=self._text_of(asset))

    def _record(
        self,
        *,
        user_id: str,
        sha: str,
        kind: str,
        mime: str,
        name: str,
        size: int,
        path: Path,
        source_url: str | None,
        meta: dict[str, Any],
    ) -> Asset:
        with session_scope(self.engine) as session:
            return asset_repo.create_asset(
                session,
                user_id=user_id,
                sha256=sha,
                kind=kind,
                mime=mime,
                filename=name,
                size_bytes=size,
                storage_path=str(path),
                source_url=source_url,
                meta=meta,
            )

    # -- text --------------------------------------------------------------------------------------------

    def inspect_text(self, text: str) -> dict[str, Any]:
        """Metadata of pasted text: characters, words, language, the links in it."""
        meta = text_meta(text, "utf-8", self.detector)
        meta["urls"] = find_urls(text)
        return meta

    def _text_of(self, asset: Asset) -> str | None:
        if asset.kind not in ("text", "url"):
            return None
        return self.read_text(asset)

    def read_text(self, asset: Asset) -> str:
        """The text of a text asset or a read page."""
        try:
            return Path(asset.storage_path).read_bytes().decode("utf-8-sig", errors="replace")
        except OSError as exc:
            raise ToolFailed(f"The stored text of asset #{asset.id} is missing ({exc.strerror}).") from None

    # -- links -------------------------------------------------------------------------------------------

    def ingest_url(self, *, user_id: str, url: str) -> Ingested:
        """Fetch a link through the guarded fetcher: a web page becomes a ``url`` asset holding its title and
        readable text; an image, audio or video file becomes that kind of asset (with ``source_url``)."""
        try:
            fetched = self.fetcher.fetch(url)
        except (FetchRefused, FetchFailed) as exc:
            raise InputError(str(exc)) from None
        mime = fetched.content_type
        if mime in HTML_TYPES or (
            not mime and fetched.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
        ):
            return self._ingest_page(user_id=user_id, url=url, fetched=fetched)
        if mime == "text/plain":
            text = decode_body(fetched.body, fetched.charset)
            return self.ingest(
                user_id=user_id,
                data=text.encode(),
                filename=_url_name(fetched.final_url, ".txt"),
                source_url=fetched.final_url,
            )
        return self.ingest(
            user_id=user_id,
            data=fetched.body,
            filename=_url_name(fetched.final_url, ""),
            source_url=fetched.final_url,
        )

    def _ingest_page(self, *, user_id: str, url: str, fetched: Any) -> Ingested:
        page = readable_page(fetched.body, url=fetched.final_url, charset=fetched.charset)
        if not page.text.strip():
            raise InputError(f"I found no readable text at {fetched.final_url}.")
        document = f"{page.title}\n\n{page.text}".strip() if page.title else page.text
        data = document.encode("utf-8")
        if len(data) > self.limits.text_bytes:
            data = data[: self.limits.text_bytes].decode("utf-8", errors="ignore").encode("utf-8")
            document = data.decode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        with session_scope(self.engine) as session:
            existing = asset_repo.find_asset(session, user_id=user_id, sha256=sha)
        if existing is not None:
            return Ingested(asset=existing, reused=True, text=document)
        meta = text_meta(page.text, "utf-8", self.detector)
        meta.update(
            title=page.title,
            description=page.description,
            site=page.site,
            url=url,
            final_url=fetched.final_url,
            content_type=fetched.content_type,
            redirects=fetched.redirects,
        )
        if page.language and not meta.get("language"):
            meta["language"] = page.language
        with self.store.spool(data, name="page", max_bytes=self.limits.text_bytes + 1) as (tmp, _sha, size):
            final, created = self.store.put(tmp, sha, ".txt")
            try:
                asset = self._record(
                    user_id=user_id,
                    sha=sha,
                    kind="url",
                    mime="text/plain",
                    name=_url_name(fetched.final_url, "")[:200] or "page",
                    size=size,
                    path=final,
                    source_url=fetched.final_url,
                    meta=meta,
                )
            except BaseException:
                if created:
                    self.store.remove(final)
                raise
        return Ingested(asset=asset, reused=False, text=document)


def _check_name(name: str, asset: Asset) -> None:
    fmt = (asset.meta or {}).get("format") or ("text" if asset.kind == "text" else None)
    if fmt and name_contradicts(name, fmt):
        actual = "text" if fmt == "text" else f"{_label(fmt)}"
        raise InputError(
            f"{name} is named like {promised_label(extension(name))}, but its content is {actual}. "
            "Send the right file, or rename it to match what it is."
        )


def _label(fmt: str) -> str:

    return FORMATS[fmt][1] if fmt in FORMATS else fmt


def _url_name(url: str, default_ext: str) -> str:
    parts = urlsplit(url)
    last = unquote(PurePosixPath(parts.path).name) if parts.path else ""
    if not last:
        last = parts.hostname or "link"
    name = safe_name(re.sub(r"[^\w.\-]+", "-", last))
    if default_ext and extension(name) not in EXTENSIONS:
        name += default_ext
    return name


# -- the ingest node's check of a turn's inputs -----------------------------------------------------------

MAX_URLS_PER_MESSAGE = 3


@dataclass
class TurnInputs:
    assets: list[dict[str, Any]]
    urls: list[str]
    problem: str | None = None


def turn_inputs(engine: Engine, *, user_id: str, text: str, assets: Sequence[dict[str, Any]]) -> TurnInputs:
    """The turn's attachments, re-read from the database (they must be this user's), and its links."""
    fresh: list[dict[str, Any]] = []
    if assets:
        with session_scope(engine) as session:
            for view in assets:
                try:
                    asset = asset_repo.get_asset(session, user_id=user_id, asset_id=int(view["id"]))
                except (NotFound, KeyError, TypeError, ValueError):
                    return TurnInputs(
                        [], [], problem=f"Attachment {view.get('id')!r} is not one of your files."
                    )
                fresh.append(asset_repo.asset_view(asset, reused=bool(view.get("reused"))))
    urls = find_urls(text)
    if len(urls) > MAX_URLS_PER_MESSAGE:
        return TurnInputs(
            fresh,
            [],
            problem=f"Your message has {len(urls)} links; I read at most {MAX_URLS_PER_MESSAGE} at a time.",
        )
    return TurnInputs(fresh, urls)
