"""Semantic routing with the packaged all-MiniLM-L6-v2: a request no cue word matches gets the intent of the
labelled requests it is most like, and the examples' embeddings are computed once per examples file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agent.content.brief import Intent
from agent.content.understand import parse
from agent.services.routing import SemanticRouter, load_examples
from integrations.embeddings import EmbeddingModelError, Encoder, _checked, onnx_minilm_encoder
from integrations.vision.labelmap import minilm_encoder


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> SemanticRouter:
    return SemanticRouter(onnx_minilm_encoder, cache_dir=tmp_path_factory.mktemp("routing"))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("#7 but in the language of Goethe", Intent.TRANSLATE),
        ("whats on deck for tmrw", Intent.QUEUE),
        ("kill it, the thing at 5", Intent.CANCEL_POST),
    ],
)
def test_a_request_without_cue_words_gets_the_intent_of_the_most_alike_examples(
    router: SemanticRouter, text: str, intent: Intent
) -> None:
    assert parse(text).intents == [Intent.CAPTION]  # the rules alone would write a post about it
    assert parse(text, fallback=router).intents == [intent]


def test_a_request_a_cue_matches_is_not_routed(router: SemanticRouter) -> None:
    assert parse("write an instagram caption about our oat latte", fallback=router).intents == [
        Intent.CAPTION
    ]


def test_the_examples_are_embedded_once_and_read_back_from_the_cache(tmp_path: Path) -> None:
    examples = load_examples()[:20]
    calls: list[int] = []

    def factory() -> Encoder:
        encode = onnx_minilm_encoder()

        def counted(texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return encode(texts)

        return counted

    first = SemanticRouter(factory, cache_dir=tmp_path, examples=examples)
    first(examples[3][0])
    second = SemanticRouter(factory, cache_dir=tmp_path, examples=examples)
    assert second(examples[3][0]) == examples[3][1]
    assert calls == [20, 1, 1]  # the examples once, then only each request
    assert len(list(tmp_path.glob("routing-*.npy"))) == 1


def test_the_examples_hold_no_held_out_request() -> None:
    held_out = (Path(__file__).parents[2] / "bench" / "data" / "understanding" / "requests.jsonl").read_text(
        encoding="utf-8"
    )

    test_texts = {json.loads(line)["text"] for line in held_out.splitlines() if '"split": "test"' in line}
    assert not test_texts & {text for text, _ in load_examples()}


def test_the_onnx_model_gives_the_vectors_of_the_original_model() -> None:
    texts = ["whats lined up for tmrw", "écris une légende sur nos croissants", "kill it, the thing at 5"]
    onnx = onnx_minilm_encoder()(texts)
    original = minilm_encoder()(texts)  # sentence-transformers with the original weights
    assert onnx.shape == (3, 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert (onnx * original).sum(axis=1).min() > 0.99


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(EmbeddingModelError, match="sha256"):
        _checked(fake)
