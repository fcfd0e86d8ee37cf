"""Semantic routing: a request no cue word matches is given the intent of the labelled requests it is most
like (``prompts/routing_examples.json``, compared by all-MiniLM-L6-v2 sentence embeddings, int8 ONNX: loads in
under a second, ``integrations/embeddings.py``) instead of being
taken for a new post. "draft 12 → German pls" or "is draft 9 any good or should I start over" carry none of
the cue words of ``prompts/understanding.toml`` but sit next to translation and scoring requests.

The model loads on the first request that needs it (never at start-up); the examples' embeddings are
computed once and kept in ``<data_dir>/cache/`` under the hash of the examples.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

import prompts
from agent.content.brief import Intent
from integrations.embeddings import Encoder
from integrations.vision.labelmap import cached_matrix

EXAMPLES_FILE = Path(prompts.__file__).parent / "routing_examples.json"
NEIGHBOURS = 3  # the labelled requests that vote, each by its similarity
MIN_SIMILARITY = 0.3  # below this nothing labelled is alike: no guess
MAX_CHARS = 2_000  # what of a request is embedded


def load_examples(path: Path = EXAMPLES_FILE) -> list[tuple[str, Intent]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(str(text), Intent(intent)) for text, intent in data["examples"]]


class SemanticRouter:
    """Callable as ``parse(..., fallback=router)``: the intent of the most alike labelled requests, or None."""

    def __init__(
        self,
        encoder_factory: Callable[[], Encoder],
        *,
        cache_dir: Path | None = None,
        examples: list[tuple[str, Intent]] | None = None,
    ) -> None:
        self._factory = encoder_factory
        self._cache_dir = cache_dir
        self._examples = examples if examples is not None else load_examples()
        self._lock = threading.Lock()
        self._encoder: Encoder | None = None
        self._matrix: np.ndarray | None = None

    def __call__(self, text: str) -> Intent | None:
        text = " ".join(text.split())[:MAX_CHARS]
        if not text:
            return None
        encoder, matrix = self._ready()
        similarity = matrix @ encoder([text])[0]
        nearest = np.argsort(-similarity)[:NEIGHBOURS]
        if similarity[nearest[0]] < MIN_SIMILARITY:
            return None
        votes: dict[Intent, float] = defaultdict(float)
        for i in nearest:
            votes[self._examples[int(i)][1]] += float(similarity[i])
        return max(votes, key=lambda intent: votes[intent])

    def _ready(self) -> tuple[Encoder, np.ndarray]:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._factory()
            if self._matrix is None:
                self._matrix = self._embed_examples(self._encoder)
            return self._encoder, self._matrix

    def _embed_examples(self, encoder: Encoder) -> np.ndarray:
        texts = [text for text, _ in self._examples]
        key = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()[:16]
        return cached_matrix(
            self._cache_dir / f"routing-{key}.npy" if self._cache_dir else None,
            lambda m: m.shape[0] == len(texts),
            lambda: np.asarray(encoder(texts), dtype=np.float32),
        )
