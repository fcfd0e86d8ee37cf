"""What pixels alone tell, shared by every backend: dominant colours, light, orientation, crop advice per
platform, the order of labels and the alt-text draft. Pure functions of numpy arrays and PIL images.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from PIL import Image, ImageOps

from integrations.vision.base import Color, Crop, Label, VisionResult
from integrations.vision.vocabulary import (
    ATTRIBUTE_CATEGORIES,
    CONTENT_CATEGORIES,
    CropRule,
    PaletteColor,
    Vocabulary,
)
from prompts.platforms import rule

MAX_SIDE = 1600  # images are analysed at most this large (crop advice uses the original size)
ORIENTATION_TERMS = ("portrait orientation", "landscape orientation", "square")
TEXT_TERMS = ("text overlay", "text graphic")
MEASURED_TERMS = frozenset(ORIENTATION_TERMS + TEXT_TERMS)  # measured from pixels/OCR, never guessed
MIN_CONTENT_SCORE = 0.12  # a content label below this is not named in the alt text


def prepare(image: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """Upright (EXIF orientation applied), RGB, at most ``max_side`` pixels on its longer side."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode != "RGB":
        if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


# -- colours -----------------------------------------------------------------------------------------


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0..255, shape (..., 3)) to CIELAB (D65)."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def nearest_palette_color(rgb: Sequence[int], palette: Sequence[PaletteColor]) -> PaletteColor:
    """The palette colour closest in CIELAB (perceptual distance)."""
    lab = _srgb_to_lab(np.array(rgb, dtype=np.float64))
    labs = _srgb_to_lab(np.array([p.rgb for p in palette], dtype=np.float64))
    return palette[int(np.argmin(((labs - lab) ** 2).sum(axis=1)))]


def to_hex(rgb: Sequence[float] | np.ndarray) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, float(v)))):02x}" for v in rgb)


def dominant_colors(
    image: Image.Image, palette: Sequence[PaletteColor], *, clusters: int = 8, top: int = 4
) -> list[Color]:
    """The main colours: median-cut clusters of a thumbnail, named by the nearest palette colour (clusters
    with the same name merged), each with the hex of its mean colour and its share of the pixels."""
    small = image.convert("RGB")
    small.thumbnail((96, 96), Image.Resampling.BOX)
    quantized = small.quantize(colors=clusters, method=Image.Quantize.MEDIANCUT)
    flat = np.asarray(small, dtype=np.float64).reshape(-1, 3)
    index = np.asarray(quantized, dtype=np.int64).reshape(-1)
    total = float(len(index))
    merged: dict[str, tuple[np.ndarray, int]] = {}
    for cluster in np.unique(index):
        pixels = flat[index == cluster]
        mean = pixels.mean(axis=0)
        name = nearest_palette_color(mean, palette).name
        prev_sum, prev_n = merged.get(name, (np.zeros(3), 0))
        merged[name] = (prev_sum + pixels.sum(axis=0), prev_n + len(pixels))
    colors = [Color(name, to_hex(s / n), round(n / total, 3)) for name, (s, n) in merged.items()]
    colors.sort(key=lambda c: c.share, reverse=True)
    return [c for c in colors if c.share >= 0.05][:top] or colors[:1]


def _hsv(image: Image.Image) -> np.ndarray:
    small = image.convert("RGB")
    small.thumbnail((128, 128), Image.Resampling.BOX)
    return np.asarray(small.convert("HSV"), dtype=np.float64).reshape(-1, 3) / 255.0


def _luma(image: Image.Image) -> np.ndarray:
    small = image.convert("L")
    small.thumbnail((128, 128), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64).reshape(-1) / 255.0


def color_labels(image: Image.Image, colors: Sequence[Color], vocab: Vocabulary) -> list[Label]:
    """Colour terms of the vocabulary measured from pixels: colour families, vibrant/muted/pastel, warm/cool."""
    known = {t.label for t in vocab.category("colors")}
    family_of = {p.name: p.family for p in vocab.palette}
    shares: dict[str, float] = {}
    for c in colors:
        family = family_of.get(c.name)
        if family:
            shares[family] = shares.get(family, 0.0) + c.share
    labels = [Label(f, round(s, 3), "colors") for f, s in shares.items() if s >= 0.15]
    hsv = _hsv(image)
    hue, sat, val = hsv[:, 0] * 360, hsv[:, 1], hsv[:, 2]
    mean_sat = float(sat.mean())
    if mean_sat >= 0.45:
        labels.append(Label("vibrant", round(min(1.0, mean_sat + 0.2), 3), "colors"))
    elif 0.08 <= mean_sat < 0.25:
        labels.append(Label("muted", round(1.0 - mean_sat * 2, 3), "colors"))
    if float(val.mean()) > 0.75 and 0.08 <= mean_sat <= 0.35:
        labels.append(Label("pastel", round(float(val.mean()), 3), "colors"))
    chromatic = sat > 0.2
    if chromatic.mean() > 0.15:
        h = hue[chromatic]
        warm = float(((h < 70) | (h >= 330)).mean())
        cool = float(((h >= 150) & (h < 270)).mean())
        if warm >= 0.6:
            labels.append(Label("warm tones", round(warm, 3), "colors"))
        elif cool >= 0.6:
            labels.append(Label("cool tones", round(cool, 3), "colors"))
    return [lb for lb in labels if lb.label in known]


def light_labels(image: Image.Image, colors: Sequence[Color], vocab: Vocabulary) -> list[Label]:
    """Mood and style terms that light and colour show: bright and airy, moody, low light, high contrast,
    black and white, minimalist."""
    known = {t.label for t in vocab.terms}
    luma = _luma(image)
    mean, contrast = float(luma.mean()), float(luma.std())
    mean_sat = float(_hsv(image)[:, 1].mean())
    out: list[tuple[str, str, float]] = []
    if mean > 0.68 and contrast < 0.25:
        out.append(("bright and airy", "moods", min(1.0, 0.4 + (mean - 0.68) * 2)))
    if mean < 0.32:
        out.append(("moody", "moods", min(1.0, 0.4 + (0.32 - mean) * 2)))
    if mean < 0.25:
        out.append(("low light", "styles", min(1.0, 0.5 + (0.25 - mean) * 2)))
    if contrast > 0.3:
        out.append(("high contrast", "styles", min(1.0, contrast * 2)))
    if mean_sat < 0.06:
        out.append(("black and white", "styles", round(1.0 - mean_sat * 5, 3)))
    if colors and colors[0].share >= 0.6:
        out.append(("minimalist", "styles", colors[0].share))
    return [Label(name, round(score, 3), cat) for name, cat, score in out if name in known]


def format_labels(width: int, height: int, text_share: float, has_text: bool) -> list[Label]:
    """Orientation from the size; text overlay / text graphic from the share of the image that is text."""
    aspect = width / height
    if aspect < 0.9:
        labels = [Label("portrait orientation", 1.0, "formats")]
    elif aspect > 1.1:
        labels = [Label("landscape orientation", 1.0, "formats")]
    else:
        labels = [Label("square", 1.0, "formats")]
    if has_text and text_share >= 0.2:
        labels.append(Label("text graphic", round(min(1.0, 0.5 + text_share), 3), "formats"))
    elif has_text:
        labels.append(Label("text overlay", round(min(1.0, 0.5 + text_share * 2), 3), "formats"))
    return labels


# -- crop advice -------------------------------------------------------------------------------------


def crop_box(
    width: int, height: int, target: float, focus: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int, int, int]:
    """The largest box of aspect ``target`` (width/height) inside the image, centred on ``focus`` (fractions
    of width and height) and moved back inside the image where it would stick out."""
    if width <= 0 or height <= 0 or target <= 0:
        raise ValueError("width, height and target must be positive")
    if width / height > target:  # too wide: keep the full height, trim left and right
        w, h = max(1, min(width, round(height * target))), height
    else:  # too tall: keep the full width, trim top and bottom
        w, h = width, max(1, min(height, round(width / target)))
    x = min(max(round(focus[0] * width - w / 2), 0), width - w)
    y = min(max(round(focus[1] * height - h / 2), 0), height - h)
    return x, y, w, h


def crop_advice(
    width: int,
    height: int,
    rules: Mapping[str, CropRule],
    *,
    focus: tuple[float, float] = (0.5, 0.5),
    platforms: Iterable[str] | None = None,
) -> dict[str, Crop]:
    """Per platform: the crop to its recommended ratio, how much it keeps, and whether the image as it is
    would be shown uncropped there."""
    aspect = width / height
    advice: dict[str, Crop] = {}
    for name in platforms or rules:
        r = rules[name]
        box = crop_box(width, height, r.target, focus)
        keep = round(box[2] * box[3] / (width * height), 3)
        fits = r.min_ratio * 0.99 <= aspect <= r.max_ratio * 1.01
        label = rule(name).label
        sides = "the left and right" if box[2] < width else "the top and bottom"
        cut = f"trim {sides}, {round((1 - keep) * 100)}% off"
        if math.isclose(aspect, r.target, rel_tol=0.01):
            text = f"Already {r.ratio}, the best fit for a {label} {r.surface}: post as is."
        elif fits:
            text = f"{label} shows it uncropped; a {r.ratio} crop ({cut}) fills more of the {r.surface}."
        else:
            text = (
                f"{label} crops images outside {r.range_text}: crop to {r.ratio} yourself ({cut}) "
                "so you choose what stays."
            )
        advice[name] = Crop(platform=name, ratio=r.ratio, box=box, keep=keep, fits=fits, advice=text)
    return advice


# -- labels and alt text -----------------------------------------------------------------------------

_CATEGORY_ORDER = {c: i for i, c in enumerate(CONTENT_CATEGORIES + ATTRIBUTE_CATEGORIES)}


def order_labels(labels: Iterable[Label]) -> list[Label]:
    """One label per term (highest score wins); content first by score, then attributes by category."""
    best: dict[str, Label] = {}
    for lb in labels:
        if lb.label not in best or lb.score > best[lb.label].score:
            best[lb.label] = lb
    content = sorted(
        (lb for lb in best.values() if lb.category in CONTENT_CATEGORIES), key=lambda lb: -lb.score
    )
    rest = sorted(
        (lb for lb in best.values() if lb.category not in CONTENT_CATEGORIES),
        key=lambda lb: (_CATEGORY_ORDER.get(lb.category, 99), -lb.score),
    )
    return content + rest


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _first_phrase(description: str) -> str:
    return description.split(",")[0].split(":")[0].strip()


_PLACE_WORDS = frozenset({"in", "at", "on", "by", "under", "underwater", "indoors", "outdoors"})


def _subject_parts(labels: Sequence[Label], vocab: Vocabulary) -> tuple[list[str], str | None]:
    """What to name (people/activity first, then up to two things) and where (the top scene), if anything."""
    content = [lb for lb in labels if lb.category in CONTENT_CATEGORIES and lb.score >= MIN_CONTENT_SCORE]
    things = [lb.label for lb in content if lb.category in {"subjects", "food_drink", "products"}][:2]
    people = [lb for lb in content if lb.category == "people_activities"][:1]
    scenes = [lb for lb in content if lb.category == "scenes"][:1]
    parts = [_first_phrase(vocab.term(p.label).description) for p in people] + things
    scene = _first_phrase(vocab.term(scenes[0].label).description) if scenes else None
    if scene is not None and scene.split(" ")[0] not in _PLACE_WORDS:
        scene = None
    return parts, scene


def subject_phrase(labels: Sequence[Label], vocab: Vocabulary) -> str:
    """A short phrase for writers: "coffee in a cafe or coffee shop" (empty when nothing was recognised)."""
    parts, scene = _subject_parts(labels, vocab)
    if parts:
        return _join(parts) + (f" {scene}" if scene else "")
    return scene or ""


def alt_text(
    labels: Sequence[Label],
    text: str,
    colors: Sequence[Color],
    vocab: Vocabulary,
    *,
    kind: str = "Photo",
    max_text_chars: int = 120,
) -> str:
    """A short, plain alt-text draft: what is in the picture, where, its main colours and any text in it."""
    parts, scene = _subject_parts(labels, vocab)
    if parts:
        sentence = f"{kind} of {subject_phrase(labels, vocab)}"
    elif scene:
        sentence = f"{kind} taken {scene}"
    else:
        mood = next((lb.label for lb in labels if lb.category in {"moods", "styles"}), None)
        sentence = f"{kind}, {mood}" if mood else kind
    out = [sentence + "."]
    names = [c.name for c in colors[:2]]
    if names:
        out.append(f"Mostly {_join(names)} tones.")
    clean = " ".join(text.split())
    if clean:
        if len(clean) > max_text_chars:
            clean = clean[: max_text_chars - 1].rstrip() + "…"
        out.append(f'Text in the image: "{clean}".')
    return " ".join(out)


def merge_results(results: Sequence[VisionResult], vocab: Vocabulary, *, kind: str = "Video") -> VisionResult:
    """Several frames of one video as one result: a term's score is its mean over the frames (absent = 0),
    text lines are kept once in order of appearance, colours are averaged, NSFW if any frame is."""
    if not results:
        raise ValueError("nothing to merge")
    first, n = results[0], len(results)
    totals: dict[str, float] = {}
    categories: dict[str, str] = {}
    for r in results:
        for lb in r.labels:
            if lb.label in MEASURED_TERMS:
                continue
            totals[lb.label] = totals.get(lb.label, 0.0) + lb.score
            categories[lb.label] = lb.category
    labels = [Label(t, round(s / n, 3), categories[t]) for t, s in totals.items()]
    labels += [lb for lb in first.labels if lb.label in ORIENTATION_TERMS]
    lines: list[str] = []
    for r in results:
        if r.text and r.text not in lines:
            lines.append(r.text)
    if lines:
        labels.append(Label("text overlay", 0.5, "formats"))
    shares: dict[str, float] = {}
    rgb_sums: dict[str, np.ndarray] = {}
    for r in results:
        for c in r.colors:
            shares[c.name] = shares.get(c.name, 0.0) + c.share / n
            rgb = np.array([int(c.hex[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
            rgb_sums[c.name] = rgb_sums.get(c.name, np.zeros(3)) + rgb * c.share
    colors = sorted(
        (Color(k, to_hex(rgb_sums[k] / (shares[k] * n)), round(v, 3)) for k, v in shares.items()),
        key=lambda c: -c.share,
    )[:4]
    ordered = order_labels(labels)
    text = " / ".join(lines)
    embeddings = [r.embedding for r in results if r.embedding]
    embedding = None
    if len(embeddings) == n:
        mean = np.mean(np.asarray(embeddings, dtype=np.float64), axis=0)
        embedding = (mean / (np.linalg.norm(mean) or 1.0)).tolist()
    return VisionResult(
        labels=ordered,
        text=text,
        alt_text=alt_text(ordered, text, colors, vocab, kind=kind),
        subject=subject_phrase(ordered, vocab),
        colors=colors,
        crop=first.crop,
        nsfw=any(r.nsfw for r in results),
        nsfw_score=max(r.nsfw_score for r in results),
        backend=first.backend,
        width=first.width,
        height=first.height,
        embedding=embedding,
    )
