"""Uploaded and shown files of the web chat, kept on local disk in the data dir, so old threads resume with
them (Chainlit persists elements only through a storage client, and ships none for local disk).

Chainlit's data layer stores an element under ``<chainlit user id>/<element id>/<file name>``; the file is
served at ``/studio/files/<key>`` to the logged-in user who owns the element's thread — anybody else gets
404, the same answer as for a missing file (and nobody logged in, 401).
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from chainlit.auth import get_current_user
from chainlit.data import get_data_layer
from chainlit.data.storage_clients.base import BaseStorageClient
from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

URL_PREFIX = "/studio/files"
MAX_KEY_CHARS = 600
INLINE_TYPES = ("image/", "audio/", "video/")
CurrentUser = Annotated[Any, Depends(get_current_user)]


class LocalStorageClient(BaseStorageClient):
    """Files under ``root`` (created on first use), one per object key."""

    def __init__(self, root: Path, *, url_prefix: str = URL_PREFIX) -> None:
        self.root = root.resolve()
        self.url_prefix = url_prefix.rstrip("/")

    def path_for(self, object_key: str) -> Path:
        """The file of an object key; ValueError for a key that is empty, too long or leaves the root."""
        if not object_key or len(object_key) > MAX_KEY_CHARS or "\x00" in object_key:
            raise ValueError("bad object key")
        parts = [p for p in object_key.replace("\\", "/").split("/") if p]
        if not parts or any(p in {".", ".."} for p in parts):
            raise ValueError("bad object key")
        path = self.root.joinpath(*parts).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("bad object key")
        return path

    def url_for(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(object_key)}"

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        path = self.path_for(object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": self.url_for(object_key)}
        raw = data.encode("utf-8") if isinstance(data, str) else data
        await asyncio.to_thread(_write, path, raw)
        return {"object_key": object_key, "url": self.url_for(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        try:
            path = self.path_for(object_key)
        except ValueError:
            return False
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        return self.url_for(object_key)

    async def close(self) -> None:
        return None


def _write(path: Path, raw: bytes) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(raw)
    os.replace(tmp, path)


OWNER_SQL = (
    'SELECT t."userId" AS owner FROM elements e JOIN threads t ON t.id = e."threadId" '
    'WHERE e."objectKey" = :key'
)


async def owns(data_layer: Any, object_key: str, chainlit_user_id: str) -> bool:
    """Whether the file belongs to a thread of this user. Asked of the database, not read from the key:
    an element stored before its thread had an author gets the key prefix "unknown"."""
    rows = await data_layer.execute_sql(OWNER_SQL, {"key": object_key})
    owners = {str(r.get("owner")) for r in rows} if isinstance(rows, list) else set()
    return owners == {chainlit_user_id}


def mount_file_route(app: Any, client: LocalStorageClient) -> None:
    """Serve ``/studio/files/<key>`` to the key's owner only. Registered ahead of Chainlit's catch-all
    route (which serves the single-page app for every other path)."""

    async def serve_file(object_key: str, current_user: CurrentUser) -> FileResponse:
        missing = HTTPException(status_code=404, detail="Not found")
        if current_user is None:
            raise missing
        data_layer = get_data_layer()
        persisted = await data_layer.get_user(current_user.identifier) if data_layer else None
        if persisted is None or not await owns(data_layer, object_key, str(persisted.id)):
            raise missing
        try:
            path = client.path_for(object_key)
        except ValueError:
            raise missing from None
        if not path.is_file():
            raise missing
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        inline = mime.startswith(INLINE_TYPES) and not mime.startswith("image/svg")
        return FileResponse(
            path,
            media_type=mime if inline else "application/octet-stream",
            filename=path.name,
            content_disposition_type="inline" if inline else "attachment",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=3600",
            },
        )

    app.add_api_route(URL_PREFIX + "/{object_key:path}", serve_file, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the catch-all
