"""Ingest: type by content, limits, corrupt and contradictory files, metadata, storage once by sha256 — and a
refused input leaves no file and no row behind. Media here is made in-process (Pillow, PyAV, wave)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlmodel import select

from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.models import Asset
from agent.core.repo.assets import count_assets, set_meta
from agent.core.settings import load_settings
from agent.services.ingest import Ingestor
from tests.integration.media_fixtures import (
    files_under,
    jpeg_bytes,
    png_bomb,
    png_bytes,
    silent_video,
    tone_wav,
    truncated,
)


@pytest.fixture
def ingestor(settings: Any, engine: Any) -> Ingestor:
    return Ingestor(settings, engine)


def make_ingestor(data_dir: Path, engine: Any, **overrides: Any) -> Ingestor:
    return Ingestor(load_settings(data_dir=data_dir, _env_file=None, **overrides), engine)


def assets_dir(ingestor: Ingestor) -> Path:
    return ingestor.store.root


def assert_nothing_stored(ingestor: Ingestor) -> None:
    assert files_under(assets_dir(ingestor)) == []
    with session_scope(ingestor.engine) as session:
        assert count_assets(session) == 0


# -- accepted inputs ---------------------------------------------------------------------------------


def test_an_image_is_stored_once_by_its_hash_with_its_metadata(ingestor: Ingestor, user_id: str) -> None:
    data = png_bytes((64, 48))

    first = ingestor.ingest(user_id=user_id, data=data, filename="photo.png")

    asset = first.asset
    assert (asset.kind, asset.mime, asset.size_bytes) == ("image", "image/png", len(data))
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.meta["width"] == 64 and asset.meta["height"] == 48 and asset.meta["format"] == "png"
    stored = Path(asset.storage_path)
    assert stored.read_bytes() == data
    assert stored.parent.parent == assets_dir(ingestor) and stored.name == f"{asset.sha256}.png"
    assert not first.reused


def test_a_re_upload_is_the_same_asset_and_nothing_is_recomputed(ingestor: Ingestor, user_id: str) -> None:
    data = png_bytes()
    first = ingestor.ingest(user_id=user_id, data=data, filename="a.png")
    with session_scope(ingestor.engine) as session:  # a marker that a second probe would overwrite
        set_meta(session, user_id=user_id, asset_id=first.asset.id, key="width", value=999)

    again = ingestor.ingest(user_id=user_id, data=data, filename="same-photo.png")

    assert again.reused and again.asset.id == first.asset.id
    assert again.asset.meta["width"] == 999
    with session_scope(ingestor.engine) as session:
        assert count_assets(session, user_id=user_id) == 1
    assert len(files_under(assets_dir(ingestor))) == 1


def test_another_users_copy_shares_the_file_but_gets_its_own_row(
    ingestor: Ingestor, engine: Any, user_id: str
) -> None:
    with session_scope(engine) as session:
        other = repo.create_user(session, email="other@example.com").id
    data = png_bytes((10, 10), "blue")
    mine = ingestor.ingest(user_id=user_id, data=data, filename="a.png")

    theirs = ingestor.ingest(user_id=other, data=data, filename="b.png")

    assert theirs.asset.id != mine.asset.id and theirs.asset.user_id == other
    assert theirs.asset.storage_path == mine.asset.storage_path
    assert theirs.asset.meta["width"] == 10
    assert len(files_under(assets_dir(ingestor))) == 1


def test_gps_is_stripped_from_the_stored_jpeg_losslessly(ingestor: Ingestor, user_id: str) -> None:
    data = jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload does carry GPS
        original_pixels = original.tobytes()

    done = ingestor.ingest(user_id=user_id, data=data, filename="beach.jpg")

    meta = done.asset.meta
    assert meta["gps_removed"] is True
    assert meta["exif"]["Make"] == "Canon" and meta["exif"]["Model"] == "EOS R"
    assert not any("GPS" in key for key in meta["exif"])
    stored = Path(done.asset.storage_path).read_bytes()
    assert b"GPS" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert kept.getexif()[ExifTags.Base.Make] == "Canon"
        assert kept.tobytes() == original_pixels  # same compressed image data: nothing re-encoded
    assert done.asset.sha256 == hashlib.sha256(data).hexdigest()  # identity is the upload's hash


def test_a_jpeg_without_gps_is_stored_byte_for_byte(ingestor: Ingestor, user_id: str) -> None:
    data = jpeg_bytes(gps=False)
    done = ingestor.ingest(user_id=user_id, data=data, filename="cafe.jpeg")
    assert Path(done.asset.storage_path).read_bytes() == data
    assert done.asset.meta["gps_removed"] is False


def test_audio_is_probed_for_duration_codec_and_streams(
    ingestor: Ingestor, user_id: str, tmp_path: Path
) -> None:
    wav = tone_wav(tmp_path / "note.wav", 1.5)

    done = ingestor.ingest(user_id=user_id, data=wav)

    asset = done.asset
    assert (asset.kind, asset.mime, asset.filename) == ("audio", "audio/wav", "note.wav")
    assert asset.meta["duration_s"] == pytest.approx(1.5, abs=0.05)
    assert asset.meta["codecs"] == ["pcm_s16le"]
    assert asset.meta["streams"][0]["sample_rate"] == 16_000


def test_a_video_lists_its_streams(ingestor: Ingestor, user_id: str, tmp_path: Path) -> None:
    video = silent_video(tmp_path / "clip.mp4", 1.0)

    done = ingestor.ingest(user_id=user_id, data=video)

    meta = done.asset.meta
    assert (done.asset.kind, done.asset.mime) == ("video", "video/mp4")
    assert meta["has_video"] and meta["has_audio"]
    assert (meta["width"], meta["height"]) == (160, 120)
    assert {"mpeg4", "aac"} <= set(meta["codecs"])
    assert meta["duration_s"] == pytest.approx(1.0, abs=0.2)


def test_text_gets_its_language(ingestor: Ingestor, user_id: str) -> None:
    text = "Our bakery opens a second shop on Main Street this Saturday, with fresh bread from seven."

    done = ingestor.ingest(user_id=user_id, data=text.encode(), filename="notes.txt")

    assert done.asset.kind == "text" and done.text == text
    assert done.asset.meta["language"] == "en" and done.asset.meta["words"] == 16


def test_pasted_text_is_inspected_for_language_and_links(ingestor: Ingestor) -> None:
    meta = ingestor.inspect_text("Schaut euch unseren neuen Kuchen an: https://example.com/kuchen. Lecker!")
    assert meta["language"] == "de"
    assert meta["urls"] == ["https://example.com/kuchen"]


# -- refused inputs: a clear message with the limit, and nothing left behind ----------------------------


def _refused(ingestor: Ingestor, user_id: str, data: bytes | Path, name: str | None, *fragments: str) -> str:
    with pytest.raises(InputError) as caught:
        ingestor.ingest(user_id=user_id, data=data, filename=name)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert_nothing_stored(ingestor)
    return message


def test_a_zero_byte_file_is_refused(ingestor: Ingestor, user_id: str) -> None:
    _refused(ingestor, user_id, b"", "note.ogg", "note.ogg is empty (0 bytes)")


def test_a_text_file_named_jpg_is_refused(ingestor: Ingestor, user_id: str) -> None:
    _refused(
        ingestor, user_id, b"just some notes, not a photo\n", "photo.jpg", "named like a JPEG image", "text"
    )


def test_a_file_with_the_wrong_extension_is_refused(ingestor: Ingestor, user_id: str, tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "x.wav", 0.5)
    _refused(
        ingestor, user_id, wav.read_bytes(), "clip.mp4", "clip.mp4 is named like an MP4/MOV file", "WAV audio"
    )


def test_a_png_decompression_bomb_is_refused_without_decoding_it(ingestor: Ingestor, user_id: str) -> None:
    bomb = png_bomb(20_000, 20_000)
    assert len(bomb) < 200_000  # small on disk, 400 megapixels decoded
    _refused(ingestor, user_id, bomb, "huge.png", "400 megapixels", "limited to 40 megapixels")


def test_an_image_over_the_pixel_cap_is_refused(data_dir: Path, engine: Any, user_id: str) -> None:
    small_cap = make_ingestor(data_dir, engine, max_image_pixels=10_000)
    _refused(
        small_cap, user_id, png_bytes((200, 100)), "wide.png", "200×100 pixels", "limited to 0.01 megapixels"
    )


def test_an_image_over_the_byte_cap_is_refused(data_dir: Path, engine: Any, user_id: str) -> None:
    small_cap = make_ingestor(data_dir, engine, max_image_bytes=1_000)
    noisy = Image.frombytes("L", (100, 100), bytes(range(256)) * 39 + bytes(16))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG", compress_level=0)
    _refused(small_cap, user_id, buffer.getvalue(), "noise.png", "images are limited to 1 KB")


def test_a_corrupt_jpeg_is_refused(ingestor: Ingestor, user_id: str) -> None:
    _refused(
        ingestor, user_id, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "photo.jpg", "corrupt or truncated"
    )


def test_a_truncated_image_is_refused(ingestor: Ingestor, user_id: str) -> None:
    data = jpeg_bytes((400, 300))
    _refused(ingestor, user_id, data[: len(data) // 2], "half.jpg", "corrupt or truncated")


def test_a_truncated_mp4_is_refused(ingestor: Ingestor, user_id: str, tmp_path: Path) -> None:
    video = silent_video(tmp_path / "full.mp4", 1.0)
    _refused(
        ingestor, user_id, truncated(video, tmp_path / "cut.mp4"), None, "cut.mp4", "corrupt or truncated"
    )


def test_a_truncated_streamable_mp4_is_refused(ingestor: Ingestor, user_id: str, tmp_path: Path) -> None:
    video = silent_video(tmp_path / "full.mp4", 2.0, faststart=True)  # index first: it opens, then ends early
    _refused(ingestor, user_id, truncated(video, tmp_path / "cut.mp4", 0.6), None, "truncated", "of 2.0 s")


def test_audio_over_the_duration_cap_is_refused(
    data_dir: Path, engine: Any, user_id: str, tmp_path: Path
) -> None:
    capped = make_ingestor(data_dir, engine, max_media_seconds=0.5)
    wav = tone_wav(tmp_path / "long.wav", 1.0)
    _refused(capped, user_id, wav, None, "long.wav is 1.0 s long", "limited to 0.5 s")


def test_a_pdf_is_refused_by_name(ingestor: Ingestor, user_id: str) -> None:
    _refused(ingestor, user_id, b"%PDF-1.7\n" + b"0" * 100, "doc.pdf", "a PDF document")


def test_unknown_binary_is_refused(ingestor: Ingestor, user_id: str) -> None:
    _refused(
        ingestor, user_id, bytes([1, 2, 3, 0, 250, 251]) * 50, "blob.bin", "can't tell what this file is"
    )


def test_a_missing_path_is_refused(ingestor: Ingestor, user_id: str, tmp_path: Path) -> None:
    _refused(ingestor, user_id, tmp_path / "nope.ogg", None, "nope.ogg: no such file")


def test_a_re_upload_under_a_contradicting_name_is_refused(ingestor: Ingestor, user_id: str) -> None:
    data = png_bytes()
    ingestor.ingest(user_id=user_id, data=data, filename="a.png")
    with pytest.raises(InputError, match="named like MP3 audio"):
        ingestor.ingest(user_id=user_id, data=data, filename="song.mp3")


def test_attachments_are_all_or_nothing(ingestor: Ingestor, user_id: str) -> None:
    with pytest.raises(InputError, match="empty"):
        ingestor.ingest_many(user_id=user_id, items=[(png_bytes(), "ok.png"), (b"", "empty.png")])
    assert_nothing_stored(ingestor)


def test_all_or_nothing_keeps_what_was_there_before(ingestor: Ingestor, user_id: str) -> None:
    kept = ingestor.ingest(user_id=user_id, data=png_bytes(), filename="kept.png")
    with pytest.raises(InputError):
        ingestor.ingest_many(user_id=user_id, items=[(png_bytes(), "kept.png"), (b"", "empty.png")])
    with session_scope(ingestor.engine) as session:
        assert [a.id for a in session.exec(select(Asset))] == [kept.asset.id]
    assert files_under(assets_dir(ingestor)) == [Path(kept.asset.storage_path)]


def test_an_upload_stored_under_a_random_name_keeps_the_users_name(
    ingestor: Ingestor, user_id: str, tmp_path: Path
) -> None:
    upload = tone_wav(tmp_path / "3f9c2a7e", 0.5)  # how chat servers keep uploads

    [done] = ingestor.ingest_many(user_id=user_id, items=[(upload, "voice note.wav")])

    assert (done.asset.kind, done.asset.filename) == ("audio", "voice note.wav")
    with pytest.raises(InputError, match=r"note\.png is named like a PNG image"):
        ingestor.ingest_many(user_id=user_id, items=[(upload, "note.png")])
