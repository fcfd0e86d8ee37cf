"""Which formats we take, how a file's content names its format, and what a file's name promises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

# format id -> (kind, human label, mime, canonical extension)
FORMATS: dict[str, tuple[str, str, str, str]] = {
    "jpeg": ("image", "a JPEG image", "image/jpeg", ".jpg"),
    "png": ("image", "a PNG image", "image/png", ".png"),
    "gif": ("image", "a GIF image", "image/gif", ".gif"),
    "webp": ("image", "a WebP image", "image/webp", ".webp"),
    "bmp": ("image", "a BMP image", "image/bmp", ".bmp"),
    "tiff": ("image", "a TIFF image", "image/tiff", ".tiff"),
    "avif": ("image", "an AVIF image", "image/avif", ".avif"),
    "heic": ("image", "a HEIC image", "image/heic", ".heic"),
    "wav": ("audio", "WAV audio", "audio/wav", ".wav"),
    "mp3": ("audio", "MP3 audio", "audio/mpeg", ".mp3"),
    "ogg": ("audio", "Ogg audio", "audio/ogg", ".ogg"),
    "flac": ("audio", "FLAC audio", "audio/flac", ".flac"),
    "aac": ("audio", "AAC audio", "audio/aac", ".aac"),
    "amr": ("audio", "AMR audio", "audio/amr", ".amr"),
    "aiff": ("audio", "AIFF audio", "audio/aiff", ".aiff"),
    # containers that hold audio, video or both: the streams decide the kind
    "mp4": ("video", "an MP4/MOV file", "video/mp4", ".mp4"),
    "webm": ("video", "a WebM/Matroska file", "video/webm", ".webm"),
    "avi": ("video", "an AVI video", "video/x-msvideo", ".avi"),
    "mpeg": ("video", "an MPEG video", "video/mpeg", ".mpg"),
    "flv": ("video", "a Flash video", "video/x-flv", ".flv"),
    "text": ("text", "plain text", "text/plain", ".txt"),
}

CONTAINERS = frozenset({"mp4", "webm", "avi", "mpeg", "flv", "ogg"})

# what filetype reports -> our format id
MIME_TO_FORMAT: dict[str, str] = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/apng": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
    "image/avif": "avif",
    "image/heic": "heic",
    "image/heif": "heic",
    "audio/x-wav": "wav",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/x-flac": "flac",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "audio/x-aiff": "aiff",
    "audio/mp4": "mp4",
    "audio/m4a": "mp4",
    "video/mp4": "mp4",
    "video/quicktime": "mp4",
    "video/3gpp": "mp4",
    "video/x-m4v": "mp4",
    "video/webm": "webm",
    "video/x-matroska": "webm",
    "video/x-msvideo": "avi",
    "video/mpeg": "mpeg",
    "video/x-flv": "flv",
}

# what we can say about formats we refuse
REFUSED_LABELS: dict[str, str] = {
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "application/gzip": "a gzip archive",
    "application/x-tar": "a tar archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-executable": "a program",
    "application/x-msdownload": "a Windows program",
    "application/x-sqlite3": "a database file",
    "application/vnd.ms-fontobject": "a font",
    "application/font-woff": "a font",
    "image/vnd.adobe.photoshop": "a Photoshop file",
    "image/x-icon": "an icon file",
}

_TEXT_EXTS = frozenset(
    [
        "txt",
        "text",
        "md",
        "markdown",
        "csv",
        "tsv",
        "json",
        "html",
        "htm",
        "xml",
        "srt",
        "vtt",
        "rtf",
        "log",
        "yaml",
        "yml",
        "ini",
        "toml",
        "py",
        "js",
        "ts",
    ]
)

# extension -> formats whose content may carry it
EXTENSIONS: dict[str, frozenset[str]] = {
    "jpg": frozenset({"jpeg"}),
    "jpeg": frozenset({"jpeg"}),
    "jpe": frozenset({"jpeg"}),
    "jfif": frozenset({"jpeg"}),
    "png": frozenset({"png"}),
    "apng": frozenset({"png"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "bmp": frozenset({"bmp"}),
    "tif": frozenset({"tiff"}),
    "tiff": frozenset({"tiff"}),
    "avif": frozenset({"avif"}),
    "heic": frozenset({"heic"}),
    "heif": frozenset({"heic"}),
    "wav": frozenset({"wav"}),
    "wave": frozenset({"wav"}),
    "mp3": frozenset({"mp3"}),
    "ogg": frozenset({"ogg"}),
    "oga": frozenset({"ogg"}),
    "opus": frozenset({"ogg"}),
    "ogv": frozenset({"ogg"}),
    "flac": frozenset({"flac"}),
    "aac": frozenset({"aac"}),
    "amr": frozenset({"amr"}),
    "aif": frozenset({"aiff"}),
    "aiff": frozenset({"aiff"}),
    "m4a": frozenset({"mp4"}),
    "m4b": frozenset({"mp4"}),
    "mp4": frozenset({"mp4"}),
    "m4v": frozenset({"mp4"}),
    "mov": frozenset({"mp4"}),
    "3gp": frozenset({"mp4"}),
    "webm": frozenset({"webm"}),
    "weba": frozenset({"webm"}),
    "mkv": frozenset({"webm"}),
    "mka": frozenset({"webm"}),
    "avi": frozenset({"avi"}),
    "mpg": frozenset({"mpeg"}),
    "mpeg": frozenset({"mpeg"}),
    "flv": frozenset({"flv"}),
    **{ext: frozenset({"text"}) for ext in _TEXT_EXTS},
}


@dataclass(frozen=True)
class Format:
    id: str

    @property
    def kind(self) -> str:
        return FORMATS[self.id][0]

    @property
    def label(self) -> str:
        return FORMATS[self.id][1]

    @property
    def mime(self) -> str:
        return FORMATS[self.id][2]

    @property
    def ext(self) -> str:
        return FORMATS[self.id][3]


def extension(filename: str) -> str:
    return PurePath(filename).suffix.lower().lstrip(".")


def promised_label(ext: str) -> str:
    """What a name promises, for messages: 'jpg' -> 'a JPEG image'."""
    formats = EXTENSIONS.get(ext)
    if not formats:
        return f"a .{ext} file"
    return FORMATS[sorted(formats)[0]][1]


def name_contradicts(filename: str, fmt: str) -> bool:
    """True when the file's extension is one we know and it does not fit the detected format."""
    ext = extension(filename)
    allowed = EXTENSIONS.get(ext)
    return allowed is not None and fmt not in allowed
