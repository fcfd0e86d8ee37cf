"""Real media made by the tests: speech from espeak-ng converted by ffmpeg, images from Pillow, a PNG
decompression bomb written by hand (its pixels are never allocated), short videos from PyAV."""

from __future__ import annotations

import io
import math
import re
import shutil
import struct
import subprocess
import wave
import zlib
from pathlib import Path

SCRIPT = (
    "Good morning everyone. Today we are launching our new vanilla latte at the corner cafe. "
    "It is creamy, smooth and made with organic coffee beans. "
    "Come by this weekend and get your first cup for free."
)
GERMAN = "Guten Morgen zusammen. Heute eröffnen wir unser neues Café in der Stadt. Kommt vorbei und probiert unseren Kuchen."

ESPEAK = shutil.which("espeak-ng") or "/usr/bin/espeak-ng"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=120)


def speak(directory: Path, text: str = SCRIPT, *, voice: str = "en-us", name: str = "speech") -> Path:
    """Speech as a WAV file (espeak-ng, 150 words per minute)."""
    path = directory / f"{name}.wav"
    run(ESPEAK, "-v", voice, "-s", "150", "-w", str(path), text)
    return path


def convert(source: Path, target: Path, *args: str) -> Path:
    run(FFMPEG, "-y", "-loglevel", "error", "-i", str(source), *args, str(target))
    return target


def voice_note(wav: Path, target: Path) -> Path:
    """An Ogg/Opus voice note, as phones send them."""
    return convert(wav, target, "-c:a", "libopus", "-b:a", "24k", "-ac", "1")


def m4a(wav: Path, target: Path) -> Path:
    return convert(wav, target, "-c:a", "aac", "-b:a", "64k")


def mp4_with_speech(wav: Path, target: Path) -> Path:
    """A small H.264 + AAC video whose sound track is the speech."""
    run(
        FFMPEG,
        "-y",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "color=c=orange:s=160x120:r=10",
        "-i",
        str(wav),
        "-shortest",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(target),
    )
    return target


def tone_wav(path: Path, seconds: float = 1.0, *, rate: int = 16_000, freq: float = 440.0) -> Path:
    """A sine tone as 16-bit mono WAV, written with the standard library."""
    frames = int(seconds * rate)
    data = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(frames)
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
    return path


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48), *, gps: bool = False, color: str = "sienna") -> bytes:
    """A JPEG with camera EXIF, and GPS coordinates when asked."""
    from PIL import ExifTags, Image

    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):  # some texture, so re-encoding would change pixels
        image.putpixel((x, x % size[1]), (255, 255, 255))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R"
    exif[ExifTags.Base.DateTime] = "2026:05:01 09:30:00"
    if gps:
        exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of ``width``×``height`` black pixels: ~50 KB on disk, 400 megapixels decoded.
    The rows are compressed as a stream, so the pixels are never held in memory."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    )


def silent_video(path: Path, seconds: float = 1.0, *, audio: bool = True, faststart: bool = False) -> Path:
    """A tiny MPEG-4 video written with PyAV (160×120, 10 fps), with a silent AAC track unless ``audio=False``."""
    import av
    import numpy as np

    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = out.add_stream("aac", rate=16_000) if audio else None
        for i in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(
                np.full((120, 160, 3), (i * 20) % 255, dtype=np.uint8), format="rgb24"
            )
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            samples = int(seconds * 16_000)
            for start in range(0, samples, 1024):
                chunk = np.zeros((1, min(1024, samples - start)), dtype=np.float32)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate = 16_000
                frame.pts = start
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def truncated(source: Path, target: Path, fraction: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(len(ref), 1)


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []
