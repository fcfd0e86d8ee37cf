"""Image understanding without models: vocabulary and crop data, the pixel analysis (colours, light,
orientation, crop advice), the ImageNet label map and its cache, merging video frames, backend selection,
and the describe_image tool with a fake backend (user scoping, caching, videos, errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.prebuilt import ToolRuntime
from PIL import Image

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import ConfigError
from agent.core.migrate import ensure_schema
from agent.core.repo import assets as asset_repo
from agent.core.settings import load_settings
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from agent.services.context import Context
from integrations.vision import make_vision_backend
from integrations.vision.analysis import (
    alt_text,
    color_labels,
    crop_advice,
    crop_box,
    dominant_colors,
    format_labels,
    light_labels,
    merge_results,
    order_labels,
)
from integrations.vision.auto import AutoVision
from integrations.vision.base import Color, Label, VisionResult
from integrations.vision.fake import FakeVision
from integrations.vision.labelmap import build_label_map, class_texts, imagenet_hints, load_or_build
from integrations.vision.offline import OfflineVision
from integrations.vision.openclip import find_clip_weights
from integrations.vision.readers import TextLine, _reading_order
from integrations.vision.vocabulary import (
    crop_rules,
    load_vocabulary,
    ratio_value,
)
from prompts.platforms import platform_names
from tests.fakes.chat_model import ScriptedChatModel
from tools import TOOLS
from tools.vision import describe_image

VOCAB = load_vocabulary()


# -- data files --------------------------------------------------------------------------------------


def test_vocabulary_covers_every_category_with_unique_labels() -> None:
    categories = {t.category for t in VOCAB.terms}
    assert categories == {
        "subjects",
        "scenes",
        "food_drink",
        "products",
        "people_activities",
        "moods",
        "styles",
        "colors",
        "formats",
    }
    assert len(VOCAB.labels()) == len(set(VOCAB.labels()))
    assert VOCAB.term("coffee").category == "food_drink"
    assert "coffee" in VOCAB.term("coffee").prompt and VOCAB.term("coffee").prompt.startswith("a photo of")
    assert {p.family for p in VOCAB.palette} <= {t.label for t in VOCAB.category("colors")}
    assert len(VOCAB.digest) == 64


def test_vocabulary_refuses_a_label_in_two_categories(tmp_path: Path) -> None:
    bad = tmp_path / "vocab.toml"
    bad.write_text(
        '[subjects]\nterms = { dog = "a dog" }\n[scenes]\nterms = { dog = "a dog park" }\n'
        '[colors]\nterms = { brown = "brown" }\n[palette]\nbrown = ["#6d4c30", "brown"]\n'
    )
    with pytest.raises(ValueError, match="unique"):
        load_vocabulary(bad)


def test_every_platform_has_a_crop_rule() -> None:
    rules = crop_rules()
    assert set(platform_names()) <= set(rules)
    assert rules["tiktok"].target == pytest.approx(9 / 16)
    assert rules["instagram"].min_ratio == pytest.approx(0.8)
    assert ratio_value("1.91:1") == pytest.approx(1.91)


def test_imagenet_hints_name_the_breeds_and_the_drinks() -> None:
    hints = imagenet_hints()
    names = ["class"] * 1000
    texts = class_texts(names, hints)
    assert "dog" in hints[207]  # golden retriever
    assert "cat" in hints[281]  # tabby
    assert "espresso" in hints[967]
    assert texts[207].startswith("class (") and texts[500] in {"class", f"class ({hints.get(500)})"}


# -- crop advice -------------------------------------------------------------------------------------


def test_crop_box_keeps_the_largest_centred_box_at_the_ratio() -> None:
    assert crop_box(1000, 1000, 4 / 5) == (100, 0, 800, 1000)
    assert crop_box(1920, 1080, 9 / 16) == (656, 0, 608, 1080)
    assert crop_box(1080, 1920, 16 / 9) == (0, 656, 1080, 608)
    assert crop_box(1000, 500, 2.0) == (0, 0, 1000, 500)


def test_crop_box_follows_the_focus_but_stays_inside_the_image() -> None:
    assert crop_box(1000, 1000, 4 / 5, focus=(0.0, 0.5)) == (0, 0, 800, 1000)
    assert crop_box(1000, 1000, 4 / 5, focus=(1.0, 0.5)) == (200, 0, 800, 1000)
    assert crop_box(1000, 1000, 4 / 5, focus=(0.6, 0.5)) == (200, 0, 800, 1000)
    with pytest.raises(ValueError):
        crop_box(0, 10, 1.0)


def test_crop_advice_per_platform() -> None:
    advice = crop_advice(1920, 1080, crop_rules())
    assert set(advice) == set(crop_rules())
    yt, ig, tt = advice["youtube"], advice["instagram"], advice["tiktok"]
    assert yt.fits and yt.keep == 1.0 and yt.box == (0, 0, 1920, 1080) and "post as is" in yt.advice
    assert ig.fits and ig.ratio == "4:5" and ig.box == (528, 0, 864, 1080)
    assert ig.keep == pytest.approx(864 / 1920, abs=1e-3) and "uncropped" in ig.advice
    assert not tt.fits and tt.box == (656, 0, 608, 1080) and "TikTok crops" in tt.advice
    assert "left and right" in tt.advice and "68% off" in tt.advice
    tall = crop_advice(1000, 3000, crop_rules(), platforms=["pinterest"])
    assert set(tall) == {"pinterest"}
    assert not tall["pinterest"].fits and tall["pinterest"].box == (0, 750, 1000, 1500)
    assert "top and bottom" in tall["pinterest"].advice


# -- pixels ------------------------------------------------------------------------------------------


def _halves(
    left: tuple[int, int, int], right: tuple[int, int, int], size: tuple[int, int] = (200, 100)
) -> Image.Image:
    img = Image.new("RGB", size, left)
    img.paste(Image.new("RGB", (size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return img


def test_dominant_colours_are_named_with_hex_and_share() -> None:
    colors = dominant_colors(_halves((210, 40, 40), (30, 90, 200)), VOCAB.palette)
    assert {c.name for c in colors} == {"red", "blue"}
    assert all(c.share == pytest.approx(0.5, abs=0.02) for c in colors)
    red = next(c for c in colors if c.name == "red")
    assert red.hex == "#d22828"


def test_colour_and_light_labels_from_pixels() -> None:
    warm = _halves((220, 60, 30), (240, 160, 20))
    labels = {lb.label for lb in color_labels(warm, dominant_colors(warm, VOCAB.palette), VOCAB)}
    assert {"warm tones", "vibrant"} <= labels
    grey = Image.new("L", (64, 64), 40).convert("RGB")
    light = {lb.label for lb in light_labels(grey, dominant_colors(grey, VOCAB.palette), VOCAB)}
    assert {"moody", "low light", "black and white", "minimalist"} <= light
    bright = Image.new("RGB", (64, 64), (235, 240, 245))
    assert "bright and airy" in {lb.label for lb in light_labels(bright, [], VOCAB)}


def test_format_labels_measure_orientation_and_text() -> None:
    assert [lb.label for lb in format_labels(1080, 1920, 0.0, False)] == ["portrait orientation"]
    assert [lb.label for lb in format_labels(1000, 1000, 0.05, True)] == ["square", "text overlay"]
    assert [lb.label for lb in format_labels(1920, 1080, 0.4, True)][1] == "text graphic"


def test_labels_are_ordered_content_first_and_deduplicated() -> None:
    labels = order_labels(
        [
            Label("warm tones", 0.99, "colors"),
            Label("cafe", 0.5, "scenes"),
            Label("coffee", 0.8, "food_drink"),
            Label("coffee", 0.6, "food_drink"),
            Label("cozy", 0.4, "moods"),
        ]
    )
    assert [lb.label for lb in labels] == ["coffee", "cafe", "cozy", "warm tones"]
    assert labels[0].score == 0.8


def test_alt_text_names_what_where_colours_and_text() -> None:
    labels = [
        Label("coffee", 0.9, "food_drink"),
        Label("cafe", 0.8, "scenes"),
        Label("dog", 0.05, "subjects"),
    ]
    colors = [Color("dark brown", "#3b2718", 0.5), Color("cream", "#fbf6e9", 0.3)]
    text = alt_text(labels, "OAT LATTE", colors, VOCAB)
    assert text == (
        'Photo of coffee in a cafe or coffee shop. Mostly dark brown and cream tones. Text in the image: "OAT LATTE".'
    )
    assert alt_text([], "", [], VOCAB) == "Photo."
    long = alt_text([], "word " * 100, [], VOCAB)
    assert long.endswith('…".') and len(long) < 160


def test_reading_order_is_rows_then_left_to_right() -> None:
    lines = [
        TextLine("world", 0.9, (200, 12, 80, 20)),
        TextLine("second", 0.9, (10, 60, 80, 20)),
        TextLine("hello", 0.9, (10, 10, 80, 20)),
    ]
    assert [ln.text for ln in _reading_order(lines)] == ["hello", "world", "second"]


def _result(labels: list[Label], text: str, emb: list[float], nsfw: bool = False) -> VisionResult:
    return VisionResult(
        labels=labels,
        text=text,
        alt_text="",
        colors=[Color("brown", "#6d4c30", 1.0)],
        crop=crop_advice(100, 100, crop_rules()),
        nsfw=nsfw,
        backend="fake",
        width=100,
        height=100,
        embedding=emb,
    )


def test_merging_video_frames() -> None:
    merged = merge_results(
        [
            _result(
                [Label("coffee", 0.8, "food_drink"), Label("square", 1.0, "formats")], "OPEN", [1.0, 0.0]
            ),
            _result([Label("coffee", 0.6, "food_drink"), Label("cafe", 0.4, "scenes")], "OPEN", [0.0, 1.0]),
        ],
        VOCAB,
    )
    scores = {lb.label: lb.score for lb in merged.labels}
    assert scores["coffee"] == pytest.approx(0.7) and scores["cafe"] == pytest.approx(0.2)
    assert "square" in scores and "text overlay" in scores
    assert merged.text == "OPEN" and merged.alt_text.startswith("Video of coffee")
    assert merged.embedding == pytest.approx([2**-0.5, 2**-0.5])
    assert merged.colors == [Color("brown", "#6d4c30", 1.0)]
    assert merge_results([_result([], "", [1.0]), _result([], "", [1.0], nsfw=True)], VOCAB).nsfw


def test_result_round_trips_through_json() -> None:
    result = FakeVision(text="HI").describe(_halves((200, 30, 30), (20, 20, 200)))
    data = json.loads(json.dumps(result.to_dict(embedding=True)))
    again = VisionResult.from_dict(data)
    assert again == result


# -- the ImageNet -> vocabulary map ------------------------------------------------------------------


def _toy_encoder(calls: list[int]) -> Any:
    """Bag-of-words embeddings over a tiny fixed vocabulary: deterministic, no model."""
    words = ["coffee", "espresso", "cup", "dog", "puppy", "beach", "sand", "cat"]

    def factory() -> Any:
        calls.append(1)

        def encode(texts: list[str]) -> np.ndarray:
            m = np.array([[float(w in t.lower()) for w in words] + [0.01] for t in texts])
            return m / np.linalg.norm(m, axis=1, keepdims=True)

        return encode

    return factory


def test_label_map_maps_classes_to_their_nearest_terms_and_is_cached(tmp_path: Path) -> None:
    terms = [VOCAB.term("coffee"), VOCAB.term("dog"), VOCAB.term("beach")]
    classes = ["espresso (coffee)", "golden retriever (dog, puppy)", "seashore (beach, sand)", "violin"]
    calls: list[int] = []
    matrix = load_or_build(tmp_path, classes, terms, _toy_encoder(calls), "toy")
    assert matrix.shape == (4, 3)
    assert (
        int(np.argmax(matrix[0])) == 0 and int(np.argmax(matrix[1])) == 1 and int(np.argmax(matrix[2])) == 2
    )
    assert matrix[3].sum() == 0.0  # nothing like a violin in these terms
    assert len(list(tmp_path.glob("imagenet-vocab-*.npy"))) == 1
    again = load_or_build(tmp_path, classes, terms, _toy_encoder(calls), "toy")
    assert calls == [1] and np.array_equal(matrix, again)  # the second time nothing is encoded
    load_or_build(tmp_path, classes, terms[:2], _toy_encoder(calls), "toy")
    assert calls == [1, 1]  # other terms: another key


def test_label_map_keeps_at_most_top_terms_per_class() -> None:
    terms = [VOCAB.term("coffee"), VOCAB.term("tea"), VOCAB.term("cafe")]
    encode = _toy_encoder([])()
    matrix = build_label_map(["coffee"], terms, lambda texts: np.ones((len(texts), 4)) / 2.0, top=1)
    assert (matrix > 0).sum() == 1
    assert build_label_map(["coffee"], terms, encode).shape == (1, 3)


# -- choosing a backend ------------------------------------------------------------------------------


def _tiny_model_dir(path: Path) -> Path:
    path.mkdir()
    (path / "open_clip_config.json").write_text(json.dumps({"model_cfg": {}}))
    (path / "open_clip_model.safetensors").write_bytes(b"x")
    return path


def test_find_clip_weights_from_a_checkpoint_path(tmp_path: Path) -> None:
    folder = _tiny_model_dir(tmp_path / "clip")
    found = find_clip_weights("ViT-B-32", None, folder)
    assert found is not None and found.model_name == f"local-dir:{folder}" and found.checkpoint is None
    weights = tmp_path / "clip.safetensors"
    weights.write_bytes(b"x")
    found = find_clip_weights("ViT-B-32", None, weights)
    assert found is not None and found.model_name == "ViT-B-32" and found.checkpoint == str(weights)
    assert find_clip_weights("ViT-B-32", None, tmp_path / "missing") is None
    assert find_clip_weights("ViT-B-32", None, None) is None


def test_auto_picks_clip_only_when_its_weights_are_present(tmp_path: Path) -> None:
    with_clip = AutoVision(clip_pretrained=None, clip_checkpoint=_tiny_model_dir(tmp_path / "clip"))
    assert with_clip.name.startswith("openclip:")
    without = AutoVision(clip_pretrained=None, cache_dir=tmp_path)
    assert isinstance(without.chosen(), OfflineVision) and without.name == "offline:efficientnet-lite0"
    assert make_vision_backend("offline").name == "offline:efficientnet-lite0"
    assert make_vision_backend("openclip", clip_pretrained="x").name == "openclip:ViT-B-32:x"
    with pytest.raises(ValueError, match="unknown vision backend"):
        make_vision_backend("magic")


def test_vision_settings_are_validated(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, _env_file=None)
    assert settings.vision_backend == "auto" and settings.vision_clip_checkpoint is None
    with pytest.raises(ConfigError, match="STUDIO_VISION_CLIP_CHECKPOINT"):
        load_settings(data_dir=tmp_path, vision_clip_checkpoint=tmp_path / "nope.pt", _env_file=None)
    with pytest.raises(ConfigError, match="STUDIO_VISION_BACKEND"):
        load_settings(data_dir=tmp_path, vision_backend="magic", _env_file=None)
    services = build_services(load_settings(data_dir=tmp_path, vision_backend="offline", _env_file=None))
    assert (
        isinstance(services.vision, OfflineVision)
        and services.vision.cache_dir == tmp_path / "cache" / "vision"
    )


# -- the describe_image tool -------------------------------------------------------------------------


@pytest.fixture
def fake_vision() -> FakeVision:
    return FakeVision([("coffee", 0.9), ("cafe", 0.7), ("cozy", 0.4)], text="OAT LATTE")


@pytest.fixture
def services(settings: Any, fake_vision: FakeVision) -> Any:
    services = build_services(settings, writer=TemplateWriter(), vision=fake_vision)
    ensure_schema(services.engine)
    yield services
    services.engine.dispose()


def _user(services: Any, email: str) -> str:
    with session_scope(services.engine) as session:
        return repo.create_user(session, email=email).id


def _asset(services: Any, user_id: str, path: Path, kind: str, sha: str = "a" * 64) -> int:
    with session_scope(services.engine) as session:
        asset = asset_repo.create_asset(
            session,
            user_id=user_id,
            sha256=sha,
            kind=kind,
            mime="",
            filename=path.name,
            size_bytes=path.stat().st_size if path.exists() else 0,
            storage_path=str(path),
        )
        return int(asset.id or 0)


def _run(
    services: Any, user_id: str, asset_id: int, platforms: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any]]:
    ctx = Context(services=services, user_id=user_id, thread_id="t1", platforms=platforms)
    runtime = ToolRuntime(
        state=None, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="c1", store=None
    )
    return describe_image.func(asset_id=asset_id, runtime=runtime)  # type: ignore[misc]


def _photo(path: Path, size: tuple[int, int] = (1200, 800)) -> Path:
    _halves((90, 60, 40), (240, 230, 210), size).save(path)
    return path


def test_describe_image_tool_returns_the_vision_artifact(services: Any, tmp_path: Path) -> None:
    uid = _user(services, "a@example.com")
    asset_id = _asset(services, uid, _photo(tmp_path / "latte.png"), "image")

    text, artifact = _run(services, uid, asset_id, platforms=("instagram", "tiktok"))

    assert artifact["type"] == "vision" and artifact["asset_id"] == asset_id and artifact["kind"] == "image"
    assert artifact["labels"][0] == {"label": "coffee", "score": 0.9, "category": "food_drink"}
    assert artifact["text"] == "OAT LATTE" and artifact["backend"] == "fake" and artifact["nsfw"] is False
    assert artifact["alt_text"].startswith("Photo of coffee in a cafe")
    assert artifact["subject"] == "coffee in a cafe or coffee shop"
    assert {c["name"] for c in artifact["colors"]} and all(
        c["hex"].startswith("#") for c in artifact["colors"]
    )
    assert artifact["crop"]["instagram"]["ratio"] == "4:5" and set(artifact["crop"]) == set(crop_rules())
    assert artifact["width"] == 1200 and artifact["embedding_dim"] == 8 and artifact["cached"] is False
    assert "coffee (0.90)" in text and "Crop for Instagram" in text and "Crop for TikTok" in text
    assert "NSFW: no." in text
    with session_scope(services.engine) as session:
        stored = asset_repo.get_asset(session, user_id=uid, asset_id=asset_id).meta["vision"]
    assert len(stored["embedding"]) == 8 and stored["backend"] == "fake"
    assert "describe_image" in {t.name for t in TOOLS}


def test_a_second_call_recomputes_nothing(services: Any, fake_vision: FakeVision, tmp_path: Path) -> None:
    uid = _user(services, "a@example.com")
    asset_id = _asset(services, uid, _photo(tmp_path / "latte.png"), "image")
    _, first = _run(services, uid, asset_id)
    _, second = _run(services, uid, asset_id)
    assert fake_vision.calls == 1
    assert second["cached"] is True
    assert {k: v for k, v in second.items() if k != "cached"} == {
        k: v for k, v in first.items() if k != "cached"
    }


def test_another_backend_does_not_reuse_the_cache(services: Any, tmp_path: Path) -> None:
    uid = _user(services, "a@example.com")
    asset_id = _asset(services, uid, _photo(tmp_path / "latte.png"), "image")
    _run(services, uid, asset_id)
    services.vision = FakeVision([("dog", 0.8)], name="other")
    _, artifact = _run(services, uid, asset_id)
    assert (
        artifact["backend"] == "other" and artifact["labels"][0]["label"] == "dog" and not artifact["cached"]
    )


def test_another_users_asset_is_not_found(services: Any, fake_vision: FakeVision, tmp_path: Path) -> None:
    owner = _user(services, "owner@example.com")
    other = _user(services, "other@example.com")
    asset_id = _asset(services, owner, _photo(tmp_path / "private.png"), "image")

    text, artifact = _run(services, other, asset_id)

    assert artifact == {"type": "error", "message": f"No asset #{asset_id}."} and text == artifact["message"]
    assert fake_vision.calls == 0
    assert _run(services, other, 999_999)[1]["type"] == "error"


def test_describe_image_refuses_audio_and_reports_missing_files(services: Any, tmp_path: Path) -> None:
    uid = _user(services, "a@example.com")
    audio = tmp_path / "note.ogg"
    audio.write_bytes(b"OggS")
    audio_id = _asset(services, uid, audio, "audio")
    assert "not an image or a video" in _run(services, uid, audio_id)[0]
    gone = _asset(services, uid, tmp_path / "gone.png", "image", sha="b" * 64)
    assert "missing from storage" in _run(services, uid, gone)[0]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png at all")
    broken_id = _asset(services, uid, broken, "image", sha="c" * 64)
    assert _run(services, uid, broken_id)[0].startswith("Could not read image")


def test_a_relative_storage_path_is_read_from_the_data_dir(services: Any, settings: Any) -> None:
    uid = _user(services, "a@example.com")
    folder = settings.data_dir / "assets"
    folder.mkdir(exist_ok=True)
    _photo(folder / "rel.png", (300, 300))
    with session_scope(services.engine) as session:
        asset_id = asset_repo.create_asset(
            session,
            user_id=uid,
            sha256="d" * 64,
            kind="image",
            mime="image/png",
            filename="rel.png",
            size_bytes=1,
            storage_path="assets/rel.png",
        ).id
    assert _run(services, uid, int(asset_id or 0))[1]["width"] == 300


def _video(path: Path, seconds: float = 2.0, fps: int = 10, size: tuple[int, int] = (160, 96)) -> Path:
    """A real H.264 mp4: red for the first half, blue for the second."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(int(seconds * fps)):
            colour = (200, 30, 30) if i < seconds * fps / 2 else (30, 60, 200)
            frame = av.VideoFrame.from_image(Image.new("RGB", size, colour))
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_describe_image_samples_keyframes_of_a_video(
    services: Any, fake_vision: FakeVision, tmp_path: Path
) -> None:
    uid = _user(services, "a@example.com")
    asset_id = _asset(services, uid, _video(tmp_path / "clip.mp4"), "video")

    text, artifact = _run(services, uid, asset_id)

    assert artifact["kind"] == "video" and fake_vision.calls == 4 and fake_vision.images[0] == (160, 96)
    times = [k["t"] for k in artifact["keyframes"]]
    assert times == sorted(times) and len(times) == 4 and times[0] < 0.5 < 1.5 < times[-1] <= 2.0
    assert artifact["keyframes"][0]["labels"][0] == {"label": "coffee", "score": 0.9}
    assert {c["name"] for c in artifact["colors"]} >= {"red", "blue"}
    assert artifact["alt_text"].startswith("Video of coffee") and "Keyframes at" in text
    assert artifact["embedding_dim"] == 8


async def test_the_llm_planner_can_call_describe_image(settings: Any, tmp_path: Path) -> None:
    model = ScriptedChatModel()
    vision = FakeVision()
    services = build_services(settings, writer=TemplateWriter(), chat_model=model, vision=vision)
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as studio:
        uid = _user(services, "a@example.com")
        asset_id = _asset(services, uid, _photo(tmp_path / "latte.png"), "image")
        call = {"name": "describe_image", "args": {"asset_id": asset_id}, "id": "c1", "type": "tool_call"}
        model.script = [AIMessage("", tool_calls=[call]), AIMessage("It is a coffee.")]
        result = await studio.run_turn(user_id=uid, thread_id="t1", text="what is in my photo?")
    assert result.tools == ["describe_image"] and result.reply == "It is a coffee." and vision.calls == 1
    assert "describe_image" in model.bound_tools


def test_an_exif_rotated_photo_is_described_upright(
    services: Any, fake_vision: FakeVision, tmp_path: Path
) -> None:
    uid = _user(services, "a@example.com")
    photo = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90°: a portrait photo
    _halves((90, 60, 40), (240, 230, 210), (400, 200)).save(photo, exif=exif.tobytes())

    _, artifact = _run(services, uid, _asset(services, uid, photo, "image"))

    assert (artifact["width"], artifact["height"]) == (200, 400) and fake_vision.images == [(200, 400)]
    assert "portrait orientation" in {lb["label"] for lb in artifact["labels"]}
    assert artifact["crop"]["instagram"]["box"] == [0, 75, 200, 250]
