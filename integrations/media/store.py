"""Content-addressed file storage: ``<root>/<sha[:2]>/<sha256><ext>``, written atomically, stored once.

Incoming data is first spooled into ``<root>/.incoming`` while it is hashed and counted; a rejected input
is deleted from there, so nothing of it is left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from integrations.media.errors import MediaRejected

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class AssetStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def incoming(self) -> Path:
        return self.root / ".incoming"

    def path_for(self, sha256: str, ext: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{ext}"

    @contextlib.contextmanager
    def spool(
        self, source: bytes | BinaryIO | Path, *, name: str, max_bytes: int
    ) -> Iterator[tuple[Path, str, int]]:
        """Copy ``source`` into a temporary file, hashing it: yields (path, sha256, size). The temporary file
        is removed on exit unless it was moved into the store. More than ``max_bytes`` is refused."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.incoming, prefix="up-")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(source):
                    size += len(chunk)
                    if size > max_bytes:
                        raise MediaRejected(
                            f"{name} is over {max_bytes / 1e6:,.0f} MB, the most I take for any file."
                        )
                    digest.update(chunk)
                    out.write(chunk)
            yield tmp, digest.hexdigest(), size
        finally:
            tmp.unlink(missing_ok=True)

    def put(self, tmp: Path, sha256: str, ext: str, *, data: bytes | None = None) -> tuple[Path, bool]:
        """Move the spooled file (or write ``data`` instead of it) to its place; (path, created?)."""
        final = self.path_for(sha256, ext)
        if final.exists():
            return final, False
        final.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            fd, staged = tempfile.mkstemp(dir=self.incoming, prefix="clean-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(staged, final)
        else:
            os.replace(tmp, final)
        os.chmod(final, 0o640)
        return final, True

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when empty


def _chunks(source: bytes | BinaryIO | Path) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for i in range(0, len(data), CHUNK):
            yield data[i : i + CHUNK]
        return
    if isinstance(source, Path):
        with source.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        return
    while chunk := source.read(CHUNK):
        yield chunk
