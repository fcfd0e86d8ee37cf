"""Image understanding: images per second per backend, and the first-call load time, side by side in one run.

    python bench/vision.py [--images 8]

Backends: the offline default (EfficientNet-Lite0 + MiniLM label map + RapidOCR + nudenet) and open_clip.
No CLIP weights ship on PyPI: when none are in the local Hugging Face cache, open_clip runs ViT-B-32 with
random weights, which measures its speed only (the answers mean nothing). The offline load is measured
twice: cold (the ImageNet -> vocabulary map is computed with MiniLM and cached) and warm (a new process
reading that cache). A per-stage breakdown shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import skimage.data
from PIL import Image, ImageDraw, ImageFont

from integrations.vision.analysis import dominant_colors, prepare
from integrations.vision.offline import OfflineVision
from integrations.vision.openclip import DEFAULT_MODEL, DEFAULT_PRETRAINED, OpenClipVision, find_clip_weights
from integrations.vision.pipeline import ModelBackend

SAMPLES = ("coffee", "chelsea", "astronaut", "rocket", "camera", "immunohistochemistry")


def images(n: int) -> list[Image.Image]:
    photos = [Image.fromarray(getattr(skimage.data, name)()) for name in SAMPLES]
    poster = Image.new("RGB", (1080, 1350), (246, 238, 224))
    font_path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    font = ImageFont.truetype(str(font_path), 90) if font_path.exists() else ImageFont.load_default()
    ImageDraw.Draw(poster).text((80, 500), "OPEN DAY\nSaturday 9am", fill=(30, 30, 30), font=font)
    pool = [*photos, poster]
    return [pool[i % len(pool)] for i in range(n)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def throughput(backend: ModelBackend, batch: list[Image.Image]) -> tuple[float, float]:
    """(images per second, median seconds per image) over ``batch``, after the first call."""
    per_image = [timed(lambda img=img: backend.describe(img)) for img in batch]
    return len(batch) / sum(per_image), statistics.median(per_image)


def stages(backend: OfflineVision, batch: list[Image.Image]) -> dict[str, float]:
    """Median milliseconds per image of each stage of the offline pipeline."""
    prepared = [prepare(img) for img in batch]
    out = {
        "classifier + label map": [timed(lambda p=p: backend._classify(p)) for p in prepared],
        "OCR (RapidOCR)": [timed(lambda p=p: backend.ocr.read(p)) for p in prepared],
        "NSFW (nudenet)": [timed(lambda p=p: backend.nsfw.check(p)) for p in prepared],
        "colours": [timed(lambda p=p: dominant_colors(p, backend.vocabulary.palette)) for p in prepared],
    }
    return {name: statistics.median(values) * 1000 for name, values in out.items()}


def main(n: int) -> None:
    batch = images(n)
    first = Image.fromarray(skimage.data.coffee())
    rows: list[tuple[str, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        cold = OfflineVision(cache_dir=cache)
        cold_load = timed(cold.warm_up)
        cold_first = timed(lambda: cold.describe(first))
        warm = OfflineVision(cache_dir=cache)  # what every later process does: the map comes from the cache
        warm_load = timed(warm.warm_up)
        warm_first = timed(lambda: warm.describe(first))
        ips, median = throughput(warm, batch)
        rows.append(("offline (cold: map built)", cold_load, cold_first, ips, median))
        rows.append(("offline (warm: map cached)", warm_load, warm_first, ips, median))
        breakdown = stages(warm, batch)
        result = warm.describe(first)
        print(f"offline on the coffee photo: {[(lb.label, lb.score) for lb in result.top(3)]}")

    weights = find_clip_weights(DEFAULT_MODEL, DEFAULT_PRETRAINED)
    clip = OpenClipVision(random_weights=weights is None, ocr=warm.ocr, nsfw=warm.nsfw)
    label = f"{clip.name}" + (" (speed only)" if weights is None else "")
    clip_load = timed(clip.load)
    clip_first = timed(lambda: clip.describe(first))
    clip_ips, clip_median = throughput(clip, batch)
    rows.append((label, clip_load, clip_first, clip_ips, clip_median))
    prepared = [prepare(img) for img in batch]
    clip_only = [timed(lambda p=p: clip._classify(p)) for p in prepared]

    print(f"\n{n} images (scikit-image samples + a text poster), 2 cores, CPU\n")
    print(f"{'backend':46} {'load s':>8} {'1st call s':>10} {'images/s':>9} {'median s':>9}")
    for name, load, first_call, rate, med in rows:
        print(f"{name:46} {load:8.2f} {first_call:10.2f} {rate:9.2f} {med:9.2f}")
    print("\noffline pipeline, median ms per image by stage:")
    for stage, ms in breakdown.items():
        print(f"  {stage:28} {ms:8.1f}")
    print(f"  {'CLIP zero-shot (open_clip)':28} {statistics.median(clip_only) * 1000:8.1f}")
    print(
        "\nratio open_clip/offline images per second: "
        f"{clip_ips / rows[1][3]:.2f} (both include the same OCR, NSFW check and colours)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=8)
    main(parser.parse_args().images)
