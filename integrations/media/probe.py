"""Probing a file: what it really is (by content, never by name), whether we take it, and its metadata.

* Images: Pillow reads the header first; the pixel count is checked before any decoding (decompression
  bombs), then the image is decoded once to catch corrupt and truncated files. EXIF is kept without GPS, and
  a file that carries GPS is rewritten without it (losslessly for JPEG) before it is stored.
* Audio and video: PyAV (FFmpeg) lists the streams — an audio-only WebM or MP4 is audio, not video —, the
  duration is checked against the cap, every packet is demuxed to catch truncated files, and the first
  frames are decoded to catch corrupt ones.
* Text: UTF-8 (or a BOM), with its language.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import filetype
from PIL import ExifTags, Image, UnidentifiedImageError

from integrations.media.errors import MediaRejected
from integrations.media.formats import (
    CONTAINERS,
    MIME_TO_FORMAT,
    REFUSED_LABELS,
    Format,
    extension,
    name_contradicts,
    promised_label,
)
from integrations.media.text import LanguageDetector, decode_text, looks_like_text, text_meta

HEAD_BYTES = 8192
TRUNCATION_SLACK = 0.9  # the packets must cover at least this share of the declared duration
MAX_ANIMATION_FACTOR = 20  # an animated image may hold at most this many full frames' worth of pixels


@dataclass(frozen=True)
class Limits:
    """What we accept. Bytes are per kind; seconds cap audio and video alike."""

    image_bytes: int = 25_000_000
    audio_bytes: int = 100_000_000
    video_bytes: int = 500_000_000
    text_bytes: int = 2_000_000
    image_pixels: int = 40_000_000
    media_seconds: float = 1800.0

    def bytes_for(self, kind: str) -> int:
        return int(getattr(self, f"{kind}_bytes"))

    @property
    def max_bytes(self) -> int:
        return max(self.image_bytes, self.audio_bytes, self.video_bytes, self.text_bytes)


@dataclass
class Probed:
    kind: str  # image | audio | video | text
    format: str
    mime: str
    ext: str
    meta: dict[str, Any] = field(default_factory=dict)
    cleaned: bytes | None = None  # the bytes to store instead of the upload (GPS removed), if any
    text: str | None = None  # the decoded text of a text file


def human_bytes(n: float) -> str:
    if n < 1000:
        return f"{int(n)} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            return f"{n:.1f} {unit}".replace(".0 ", " ")
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _too_big(name: str, size: int, kind: str, limit: int) -> MediaRejected:
    noun = {"image": "images", "audio": "audio files", "video": "videos", "text": "text files"}[kind]
    return MediaRejected(f"{name} is {human_bytes(size)}; {noun} are limited to {human_bytes(limit)}.")


# -- sniffing ----------------------------------------------------------------------------------------


def sniff(head: bytes, name: str) -> str:
    """Our format id for the file that starts with ``head``, from its content only."""

    guess = filetype.guess(head)
    if guess is not None:
        fmt = MIME_TO_FORMAT.get(guess.mime)
        if fmt is None:
            label = REFUSED_LABELS.get(guess.mime, f"a {guess.mime} file")
            raise MediaRejected(f"{name} is {label}; I take images, audio, video and text files.")
        return fmt
    if looks_like_text(head):
        return "text"
    raise MediaRejected(
        f"{name}: I can't tell what this file is — it is not an image, audio, video or text file I can read."
    )


def probe(path: Path, *, name: str, size: int, limits: Limits, detector: LanguageDetector) -> Probed:
    """Validate the file at ``path`` (``size`` bytes, called ``name`` by the user) and read its metadata.

    Raises :class:`MediaRejected` with a message that says what is wrong and the limit.
    """
    if size == 0:
        raise MediaRejected(f"{name} is empty (0 bytes).")
    if size > limits.max_bytes:
        raise MediaRejected(
            f"{name} is {human_bytes(size)}; the most I take is {human_bytes(limits.max_bytes)}."
        )
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    fmt = Format(sniff(head, name))
    if name_contradicts(name, fmt.id) and fmt.id not in CONTAINERS | {"text"}:
        raise _contradiction(name, fmt.label)
    if fmt.kind == "text":
        if name_contradicts(name, "text"):
            raise _contradiction(name, "text")
        return _probe_text(path, name=name, size=size, limits=limits, detector=detector)
    if fmt.kind == "image":
        if size > limits.image_bytes:
            raise _too_big(name, size, "image", limits.image_bytes)
        return _probe_image(path, name=name, fmt=fmt, limits=limits)
    probed = _probe_av(path, name=name, fmt=fmt, limits=limits)
    if name_contradicts(name, fmt.id):
        raise _contradiction(name, f"{fmt.label} with {probed.kind}")
    limit = limits.bytes_for(probed.kind)
    if size > limit:
        raise _too_big(name, size, probed.kind, limit)
    return probed


def _contradiction(name: str, actual: str) -> MediaRejected:
    promised = promised_label(extension(name))
    return MediaRejected(
        f"{name} is named like {promised}, but its content is {actual}. "
        "Send the right file, or rename it to match what it is."
    )


# -- text --------------------------------------------------------------------------------------------


def _probe_text(path: Path, *, name: str, size: int, limits: Limits, detector: LanguageDetector) -> Probed:
    if size > limits.text_bytes:
        raise _too_big(name, size, "text", limits.text_bytes)
    text, encoding = decode_text(path.read_bytes(), name)
    if not text.strip():
        raise MediaRejected(f"{name} holds only blank space; there is no text to use.")
    fmt = Format("text")
    mime = "text/html" if re.search(r"<(html|body|p|div)\b", text[:2000], re.IGNORECASE) else fmt.mime
    return Probed(
        kind="text",
        format="text",
        mime=mime,
        ext=fmt.ext,
        meta=text_meta(text, encoding, detector),
        text=text,
    )


# -- images ------------------------------------------------------------------------------------------

_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_SKIP_EXIF = frozenset(
    {"GPSInfo", "ExifOffset", "InteropOffset", "MakerNote", "UserComment", "PrintImageMatching"}
)


def _probe_image(path: Path, *, name: str, fmt: Format, limits: Limits) -> Probed:

    corrupt = MediaRejected(
        f"{name} looks like {fmt.label} but can't be read: the file is corrupt or truncated."
    )
    megapixels = f"{limits.image_pixels / 1e6:g} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
    except Image.DecompressionBombError as exc:
        match = _BOMB_PIXELS.search(str(exc))
        claimed = f"{int(match.group(1)) / 1e6:,.0f} megapixels" if match else "too many pixels"
        raise MediaRejected(
            f"{name} claims {claimed} (a possible decompression bomb); images are limited to {megapixels}."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        if fmt.id == "heic":
            raise MediaRejected(
                f"{name} is a HEIC image, which I can't read yet: send it as JPEG or PNG."
            ) from None
        raise corrupt from None
    with image:
        width, height = image.size
        pixels = width * height
        if pixels > limits.image_pixels:
            raise MediaRejected(
                f"{name} is {width}×{height} pixels ({pixels / 1e6:.3g} megapixels); "
                f"images are limited to {megapixels}."
            )
        if width == 0 or height == 0:
            raise corrupt
        frames = int(getattr(image, "n_frames", 1) or 1)
        if frames > 1 and frames * pixels > limits.image_pixels * MAX_ANIMATION_FACTOR:
            raise MediaRejected(
                f"{name} is an animation of {frames} frames of {width}×{height}; that is more than I take "
                f"({MAX_ANIMATION_FACTOR} × {megapixels} in all)."
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise corrupt from None
        exif, has_gps = _exif(image)
        meta: dict[str, Any] = {
            "format": fmt.id,
            "width": width,
            "height": height,
            "megapixels": round(pixels / 1e6, 2),
            "mode": image.mode,
            "frames": frames,
            "animated": frames > 1,
            "orientation": exif.get("Orientation", 1),
            "exif": exif,
            "gps_removed": has_gps,
        }
        cleaned = _without_gps(path, image, fmt) if has_gps else None
    return Probed(kind="image", format=fmt.id, mime=fmt.mime, ext=fmt.ext, meta=meta, cleaned=cleaned)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float | Fraction) or type(value).__name__ == "IFDRational":
        try:
            number = float(value)
        except (ZeroDivisionError, ValueError):
            return None
        return round(number, 6) if math.isfinite(number) else None
    if isinstance(value, str):
        value = value.replace("\x00", "").strip()
        return value[:200] or None
    if isinstance(value, tuple | list):
        items = [_jsonable(v) for v in value[:16]]
        return items if all(i is not None for i in items) else None
    return None  # bytes and other blobs are not kept


def _exif(image: Any) -> tuple[dict[str, Any], bool]:
    """Readable EXIF without any GPS data, and whether the image carried GPS."""

    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block must not refuse a good image
        return {}, False
    out: dict[str, Any] = {}
    items = list(exif.items())
    try:
        items += list(exif.get_ifd(ExifTags.IFD.Exif).items())
        gps = bool(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # noqa: BLE001 - unreadable sub-IFD: keep what the main IFD gave
        gps = False
    gps = gps or ExifTags.Base.GPSInfo in exif
    for tag, value in items:
        name = ExifTags.TAGS.get(tag, "")
        if not name or name in _SKIP_EXIF or name.startswith("GPS"):
            continue
        clean = _jsonable(value)
        if clean is not None:
            out[name] = clean
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode()
    return out, gps or b"GPSLatitude" in xmp or b"GPSLongitude" in xmp


def _clean_exif(image: Any) -> Any:

    exif = image.getexif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).clear()
    exif.pop(ExifTags.Base.GPSInfo, None)
    return exif


def _without_gps(path: Path, image: Any, fmt: Format) -> bytes:
    """The file's bytes with GPS removed: JPEG losslessly (only the EXIF/XMP segments change), other formats
    re-encoded by Pillow with the rest of their EXIF."""
    exif = _clean_exif(image)
    data = path.read_bytes()
    if fmt.id == "jpeg":
        return _jpeg_replace_exif(data, exif.tobytes())
    buffer = io.BytesIO()
    params: dict[str, Any] = {"exif": exif}
    if fmt.id == "webp":
        params.update(quality=95, lossless=bool(image.info.get("lossless")))
    if getattr(image, "n_frames", 1) > 1:
        params["save_all"] = True
    image.save(buffer, format=image.format, **params)
    return buffer.getvalue()


def _jpeg_replace_exif(data: bytes, exif_bytes: bytes) -> bytes:
    """Rewrite a JPEG's markers up to the image data: the EXIF APP1 gets ``exif_bytes``, an XMP APP1 that
    mentions GPS is dropped; the compressed image data is copied untouched."""
    if not data.startswith(b"\xff\xd8"):
        raise MediaRejected("The JPEG image is corrupt: it does not start with a JPEG marker.")
    out = bytearray(b"\xff\xd8")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise MediaRejected("The JPEG image is corrupt: a marker is damaged.")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            body = exif_bytes if exif_bytes.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif_bytes
            segment = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
        elif marker == 0xE1 and b"ns.adobe.com/xap" in payload[:64] and b"GPS" in payload:
            segment = b""
        out += segment
        i += 2 + length
    raise MediaRejected("The JPEG image is corrupt or truncated: it has no image data.")


# -- audio and video ---------------------------------------------------------------------------------


def _probe_av(path: Path, *, name: str, fmt: Format, limits: Limits) -> Probed:

    corrupt = f"{name} looks like {fmt.label} but can't be read: the file is corrupt or truncated"
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise MediaRejected(f"{corrupt} ({_ffmpeg_reason(exc)}).") from None
    with container:
        streams, has_audio, video = _streams(container)
        if not has_audio and video is None:
            raise MediaRejected(f"{name} has no audio or video stream.")
        kind = "video" if video is not None else "audio"
        declared = container.duration / 1_000_000 if container.duration and container.duration > 0 else None
        cap = f"audio and video are limited to {human_duration(limits.media_seconds)}"
        if declared is not None and declared > limits.media_seconds:
            raise MediaRejected(f"{name} is {human_duration(declared)} long; {cap}.")
        start = container.start_time / 1_000_000 if container.start_time else 0.0
        measured = _demux_end(container, corrupt) - start
        container_name = container.format.name
    if measured <= 0:
        raise MediaRejected(f"{corrupt} (no audio or video data).")
    if declared is not None and measured < declared * TRUNCATION_SLACK - 0.5:
        raise MediaRejected(
            f"{name} is truncated: its data stops at {human_duration(measured)} of "
            f"{human_duration(declared)}. Send the complete file."
        )
    duration = declared if declared is not None else measured
    if duration > limits.media_seconds:
        raise MediaRejected(f"{name} is {human_duration(duration)} long; {cap}.")
    _decode_first_frames(path, corrupt, has_audio=has_audio, has_video=video is not None)
    mime, ext = _av_mime(fmt, kind)
    meta: dict[str, Any] = {
        "format": fmt.id,
        "container": container_name,
        "duration_s": round(duration, 3),
        "streams": streams,
        "codecs": list(dict.fromkeys(s["codec"] for s in streams if not s.get("cover_art"))),
        "has_audio": has_audio,
        "has_video": video is not None,
    }
    if video is not None:
        meta.update(width=video["width"], height=video["height"], fps=video.get("fps"))
    return Probed(kind=kind, format=fmt.id, mime=mime, ext=ext, meta=meta)


def _ffmpeg_reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[0].strip()[:120] or type(exc).__name__


def _streams(container: Any) -> tuple[list[dict[str, Any]], bool, dict[str, Any] | None]:

    streams: list[dict[str, Any]] = []
    has_audio = False
    video: dict[str, Any] | None = None
    for stream in container.streams:
        codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
        codec = codec.removesuffix("float")  # FFmpeg's decoder names: mp3float -> mp3
        info: dict[str, Any] = {"index": stream.index, "type": stream.type, "codec": codec}
        if stream.type == "audio":
            has_audio = True
            cc = stream.codec_context
            info.update(sample_rate=cc.sample_rate, channels=cc.channels, bit_rate=cc.bit_rate or None)
        elif stream.type == "video":
            cover = bool(stream.disposition & av.stream.Disposition.attached_pic)
            rate = stream.average_rate or stream.guessed_rate
            info.update(
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                fps=round(float(rate), 3) if rate else None,
                cover_art=cover,
            )
            if not cover and video is None:
                video = info
        streams.append(info)
    return streams, has_audio, video


def _demux_end(container: Any, corrupt: str) -> float:
    """The end time of the last packet, demuxing the whole file (no decoding): a truncated or damaged file
    errors or ends early."""

    end = 0.0
    wanted = [s for s in container.streams if s.type in ("audio", "video")]
    try:
        for packet in container.demux(wanted):
            if packet.pts is None or packet.time_base is None:
                continue
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaRejected(f"{corrupt} ({_ffmpeg_reason(exc)}).") from None
    return end


def _decode_first_frames(path: Path, corrupt: str, *, has_audio: bool, has_video: bool) -> None:

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            for selector, present in (({"audio": 0}, has_audio), ({"video": 0}, has_video)):
                if not present:
                    continue
                decoded = False
                for _frame in container.decode(**selector):
                    decoded = True
                    break
                if not decoded:
                    raise MediaRejected(f"{corrupt} (no frame could be decoded).")
                container.seek(0)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaRejected(f"{corrupt} ({_ffmpeg_reason(exc)}).") from None


def _av_mime(fmt: Format, kind: str) -> tuple[str, str]:
    if fmt.id == "mp4":
        return ("audio/mp4", ".m4a") if kind == "audio" else ("video/mp4", ".mp4")
    if fmt.id == "webm":
        return ("audio/webm", ".webm") if kind == "audio" else ("video/webm", ".webm")
    if fmt.id == "ogg":
        return ("audio/ogg", ".ogg") if kind == "audio" else ("video/ogg", ".ogv")
    if kind == "audio" and fmt.kind == "video":
        return f"audio/{fmt.id}", fmt.ext
    return fmt.mime, fmt.ext
