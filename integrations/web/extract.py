"""Title and readable text of a web page (trafilatura), and text of a plain-text response."""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html

MAX_TEXT_CHARS = 100_000


@dataclass
class Page:
    title: str
    text: str
    description: str = ""
    site: str = ""
    author: str = ""
    date: str = ""
    language: str | None = None


def decode_body(body: bytes, charset: str | None) -> str:
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


def readable_page(body: bytes, *, url: str, charset: str | None = None) -> Page:
    """The main text of an HTML page without navigation, ads and footers; empty text when there is none."""
    import trafilatura

    html = decode_body(body, charset)
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    if doc is None:
        return Page(title=_html_title(html), text="")
    get = doc.get if isinstance(doc, dict) else lambda k, d=None: getattr(doc, k, d)
    text = (get("text") or "").strip()[:MAX_TEXT_CHARS]
    title = (get("title") or "").strip() or _html_title(html)
    return Page(
        title=title[:300],
        text=text,
        description=(get("description") or "").strip()[:500],
        site=(get("sitename") or "").strip()[:200],
        author=(get("author") or "").strip()[:200],
        date=(get("date") or "").strip()[:40],
        language=get("language") or None,
    )


def _html_title(html: str) -> str:

    try:
        tree = lxml.html.fromstring(html[:200_000])
    except (ValueError, TypeError, lxml.etree.ParserError):
        return ""
    titles = tree.xpath("//title/text()")
    return " ".join(str(titles[0]).split())[:300] if titles else ""
