"""The curated vision vocabulary (``prompts/vision_vocabulary.toml``) and the crop rules per platform
(``prompts/vision_crops.toml``), loaded as data. Every vision backend answers in these terms only.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from prompts.platforms import platform_names

# What is in the picture, as opposed to how it looks (moods, styles, colours, formats).
CONTENT_CATEGORIES: tuple[str, ...] = ("subjects", "scenes", "food_drink", "products", "people_activities")
ATTRIBUTE_CATEGORIES: tuple[str, ...] = ("moods", "styles", "colors", "formats")
OFFLINE_SOURCES = frozenset({"imagenet", "colors", "light", "format"})


@dataclass(frozen=True)
class Term:
    label: str
    category: str
    description: str
    prompt: str  # the zero-shot prompt for CLIP, e.g. "a photo of coffee, espresso, latte..."

    @property
    def text(self) -> str:
        """What the sentence embedding sees: the label and its description."""
        return f"{self.label}: {self.description}"


@dataclass(frozen=True)
class PaletteColor:
    name: str
    hex: str
    family: str  # a term of the colors category
    rgb: tuple[int, int, int]


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[Term, ...]
    offline_source: dict[str, str]  # category -> how the offline backend finds it
    palette: tuple[PaletteColor, ...]
    digest: str  # sha256 of the data file: keys caches derived from it

    def category(self, name: str) -> list[Term]:
        return [t for t in self.terms if t.category == name]

    def labels(self) -> list[str]:
        return [t.label for t in self.terms]

    def term(self, label: str) -> Term:
        for t in self.terms:
            if t.label == label:
                return t
        raise KeyError(label)

    def offline_terms(self, source: str) -> list[Term]:
        return [t for t in self.terms if self.offline_source.get(t.category) == source]


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"bad colour {value!r}: use #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _data_path(name: str) -> Path:
    return Path(str(resources.files("prompts") / name))


@cache
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Parse and check the vocabulary file; raises ValueError naming what is wrong."""
    raw = (path or _data_path("vision_vocabulary.toml")).read_bytes()
    data = tomllib.loads(raw.decode())
    palette_data = data.pop("palette", {})
    terms: list[Term] = []
    offline: dict[str, str] = {}
    for category, section in data.items():
        if category not in CONTENT_CATEGORIES + ATTRIBUTE_CATEGORIES:
            raise ValueError(f"unknown vocabulary category {category!r}")
        prompt = section.get("prompt", "a photo of {}.")
        if "{}" not in prompt:
            raise ValueError(f"the prompt of {category!r} needs a {{}} for the term")
        source = section.get("offline", "imagenet")
        if source not in OFFLINE_SOURCES:
            raise ValueError(f"{category}.offline must be one of {sorted(OFFLINE_SOURCES)}")
        offline[category] = source
        for label, description in section["terms"].items():
            terms.append(Term(label, category, description, prompt.format(description)))
    labels = [t.label for t in terms]
    duplicates = sorted({x for x in labels if labels.count(x) > 1})
    if duplicates:
        raise ValueError(f"vocabulary labels must be unique across categories: {duplicates}")
    color_terms = {t.label for t in terms if t.category == "colors"}
    palette = []
    for name, (hex_value, family) in palette_data.items():
        if family not in color_terms:
            raise ValueError(f"palette colour {name!r} belongs to {family!r}, which is not a colors term")
        palette.append(PaletteColor(name, hex_value.lower(), family, _hex_to_rgb(hex_value)))
    if not palette:
        raise ValueError("the vocabulary needs a [palette] of named colours")
    return Vocabulary(tuple(terms), offline, tuple(palette), hashlib.sha256(raw).hexdigest())


@dataclass(frozen=True)
class CropRule:
    platform: str
    ratio: str  # the recommended aspect ratio, "4:5"
    min_ratio: float  # width/height range shown uncropped
    max_ratio: float
    surface: str  # where that ratio applies ("feed post")
    range_text: str  # "4:5 to 1.91:1"

    @property
    def target(self) -> float:
        return ratio_value(self.ratio)


def ratio_value(ratio: str) -> float:
    """ "4:5" -> 0.8, "1.91:1" -> 1.91."""
    w, _, h = ratio.partition(":")
    return float(w) / float(h)


@cache
def crop_rules(path: Path | None = None) -> dict[str, CropRule]:
    """Crop rules per platform of ``prompts/platforms.toml`` (a unit test checks that every one has one)."""
    data = tomllib.loads((path or _data_path("vision_crops.toml")).read_text())
    rules = {}
    for platform, values in data.items():
        rules[platform] = CropRule(
            platform=platform,
            ratio=values["ratio"],
            min_ratio=ratio_value(values["min"]),
            max_ratio=ratio_value(values["max"]),
            surface=values.get("surface", "post"),
            range_text=values["min"]
            if values["min"] == values["max"]
            else f"{values['min']} to {values['max']}",
        )
        if not rules[platform].min_ratio <= rules[platform].target <= rules[platform].max_ratio:
            raise ValueError(f"{platform}: the recommended ratio must lie within min..max")
    unknown = [p for p in rules if p not in platform_names()]
    if unknown:
        raise ValueError(f"vision_crops.toml names platforms that platforms.toml does not: {unknown}")
    return rules
