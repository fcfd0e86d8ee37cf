"""Slack files, fetched safely: ``files.info`` for the facts, then ``url_private_download`` with the bot
token — only from the configured Slack file origin (no other host is ever contacted), capped while it
streams, content type checked. What comes down goes through the studio's one ingest step afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from agent.core.errors import InputError, ToolFailed
from agent.core.settings import Settings
from agent.services.ingest import safe_name
from integrations.media.probe import human_bytes

KINDS = ("audio", "image", "video")
BINARY_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
MAX_FILES_PER_MESSAGE = 5
CHUNK = 256 * 1024


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    mimetype: str
    kind: str
    size: int
    url: str


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) with the default port left out, lower-case."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = "@invalid"  # credentials in a URL are never a Slack file URL
    return scheme, netloc


def cap_for(kind: str, settings: Settings) -> int:
    return {
        "audio": settings.max_audio_bytes,
        "image": settings.max_image_bytes,
        "video": max(settings.max_video_bytes, settings.max_audio_bytes),
    }[kind]


def check_file(info: dict[str, Any], settings: Settings) -> SlackFile:
    """The facts of a ``files.info`` answer, checked: a kind we read, within its size cap, hosted by Slack
    at the configured file origin. Raises :class:`InputError` saying what is wrong and the limit."""
    name = safe_name(str(info.get("name") or info.get("title") or "file"))
    mimetype = str(info.get("mimetype") or "").lower().split(";")[0].strip()
    kind = mimetype.split("/", 1)[0]
    if kind not in KINDS:
        label = mimetype or str(info.get("filetype") or "unknown type")
        raise InputError(
            f"{name} is {label}; in Slack I read voice notes and audio, images and videos. Nothing was kept."
        )
    size = int(info.get("size") or 0)
    cap = cap_for(kind, settings)
    if size > cap:
        raise InputError(f"{name} is {human_bytes(size)}; the most I take for {kind} is {human_bytes(cap)}.")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if info.get("mode") == "external" or info.get("is_external") or not url:
        raise InputError(f"{name} is not stored in Slack (an external file); share the file itself.")
    if origin(url) != origin(settings.slack_files_url):
        raise InputError(
            f"{name} is not at Slack's file address; I only download from {settings.slack_files_url}."
        )
    return SlackFile(
        id=str(info.get("id") or ""), name=name, mimetype=mimetype, kind=kind, size=size, url=url
    )


async def download(file: SlackFile, *, token: str, settings: Settings, dest_dir: Path) -> Path:
    """Stream the file to ``dest_dir`` (never more than its cap); the caller deletes it after ingest."""
    if origin(file.url) != origin(settings.slack_files_url):  # checked again right where it is used
        raise InputError(f"{file.name}: refusing to download from outside {settings.slack_files_url}.")
    cap = cap_for(file.kind, settings)
    await asyncio.to_thread(dest_dir.mkdir, parents=True, exist_ok=True, mode=0o700)
    target = dest_dir / f"{uuid.uuid4().hex}{Path(file.name).suffix[:12]}"
    timeout = httpx.Timeout(
        connect=settings.url_connect_timeout_s,
        read=settings.url_read_timeout_s,
        write=settings.url_read_timeout_s,
        pool=settings.url_connect_timeout_s,
    )
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", file.url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            if response.status_code != 200:
                raise ToolFailed(
                    f"Slack did not hand over {file.name} (HTTP {response.status_code}); "
                    "check that the bot has the files:read scope."
                )
            ctype = response.headers.get("content-type", "").lower().split(";")[0].strip()
            if ctype.startswith("text/html"):
                raise ToolFailed(
                    f"Slack answered with a web page instead of {file.name}: the bot may lack the files:read scope."
                )
            if ctype and ctype.split("/", 1)[0] not in KINDS and ctype not in BINARY_TYPES:
                raise InputError(
                    f"{file.name} arrived as {ctype}, not audio, an image or a video. Nothing was kept."
                )
            received = 0
            with target.open("wb") as out:
                async for chunk in response.aiter_bytes(CHUNK):
                    received += len(chunk)
                    if received > cap:
                        raise InputError(
                            f"{file.name} is larger than {human_bytes(cap)}, the most I take for {file.kind}."
                        )
                    out.write(chunk)
    except httpx.HTTPError as exc:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        raise ToolFailed(f"Could not download {file.name} from Slack ({type(exc).__name__}).") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        raise
    return target
