"""Keyframes of a video (PyAV, FFmpeg bundled in its wheel): ``count`` frames spread evenly over the
duration, upright (the stream's display rotation applied), as PIL images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

MAX_DECODED_PER_SAMPLE = 900  # frames decoded after a seek to reach a sample time (a long GOP)


class VideoUnreadable(ValueError):
    """The file has no decodable video stream."""


@dataclass(frozen=True)
class Keyframe:
    t: float  # seconds from the start
    image: Image.Image


def _upright(frame: object) -> Image.Image:
    image: Image.Image = frame.to_image()  # type: ignore[attr-defined]
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    if rotation:
        # FFmpeg's display rotation is counter-clockwise in degrees; PIL's rotate is counter-clockwise too.
        image = image.rotate(rotation, expand=True)
    return image


def sample_keyframes(path: Path, count: int = 4) -> list[Keyframe]:
    """``count`` frames at the middle of ``count`` equal slices of the video (fewer for a very short one)."""

    if count < 1:
        raise ValueError("count must be at least 1")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise VideoUnreadable(f"cannot open the video: {exc}") from exc
    with container:
        stream = next((s for s in container.streams if s.type == "video"), None)
        if stream is None:
            raise VideoUnreadable("the file has no video stream")
        stream.codec_context.thread_type = "AUTO"
        tb = float(stream.time_base) if stream.time_base else 1e-6
        if container.duration:
            duration = container.duration / 1_000_000
        elif stream.duration:
            duration = float(stream.duration * tb)
        else:
            duration = 0.0
        start = float(stream.start_time * tb) if stream.start_time is not None else 0.0
        if duration <= 0:  # unknown length: the first frame
            for frame in container.decode(stream):
                return [Keyframe(0.0, _upright(frame))]
            raise VideoUnreadable("the video stream has no frames")
        frames: list[Keyframe] = []
        seen: set[int] = set()
        for i in range(count):
            target = start + (i + 0.5) * duration / count
            try:
                container.seek(int(target / tb), stream=stream, backward=True, any_frame=False)
            except av.FFmpegError:
                container.seek(0)
            chosen = None
            try:
                for n, frame in enumerate(container.decode(stream)):
                    chosen = frame
                    t = float(frame.pts * tb) if frame.pts is not None else target
                    if t >= target - tb or n >= MAX_DECODED_PER_SAMPLE:
                        break
            except av.FFmpegError as exc:
                if chosen is None:
                    raise VideoUnreadable(f"cannot decode the video: {exc}") from exc
            if chosen is None:
                continue
            pts = int(chosen.pts or 0)
            if pts in seen:
                continue
            seen.add(pts)
            frames.append(Keyframe(round(float(pts * tb) - start, 3), _upright(chosen)))
        if not frames:
            raise VideoUnreadable("no frame of the video could be decoded")
        return frames
