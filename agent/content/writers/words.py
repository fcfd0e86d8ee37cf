"""Text helpers of the template writers: words and keywords of a subject, hashtags from them, banned words.

Pure functions; the caption, script and summary writers share them.
"""

from __future__ import annotations

import re
import unicodedata

from agent.content.writers.base import VoiceGuide

STOPWORDS = frozenset(
    """
    a an the and or but of for to in on at by with from about into over our your my their his her its
    this that these those is are was were be been being it we you they i me us them new just now very
    really so some any all more most much many few can could will would should may might must do does
    did done make made get got have has had here there what which who whom how why when where than then
    also too not no yes write caption captions post posts draft drafts tweet thread please create give
    need want help us instagram linkedin twitter x threads bluesky mastodon facebook tiktok youtube
    pinterest reel reels story stories announce announcing announcement launch launching introducing
    introduce about some one two as like via join joins joined joining welcome welcomes hit hits reached
    fais faire haz hace mach machen faz fai annoncer anunciar anunciamos ankundigen annunciare annuncia
    ab bis um seit bei nach aus ohne sin sans senza sem entre hasta desde dans chez jusqu fino tra fra
    nel nella alla alle ate first second third premier deuxième troisième primer primera segundo segunda
    tercer tercera erste zweite dritte primeiro primeira terceiro primo secondo terzo open opens opening
    opened ouvre ouvrons ouvrir abre abrimos abrir öffnet öffnen eröffnet eröffnen apre apriamo aprire
    de del la el los las un una unos unas y o con para por sobre nuestro nuestra nuestros nuestras nuevo nueva
    nuevos nuevas mi mis tu su sus este esta estos estas al lo que es muy mas escribe post publicacion
    le les du des au aux et ou avec pour sur nos notre votre vos nouveau nouvelle nouveaux nouvelles mon ma mes
    ce cette ces est tres plus ecris legende une
    der die das den dem des ein eine einen einem einer und oder mit fur uber unser unsere unseren unserem neu
    neue neuen neuer mein meine ist sehr mehr schreib schreibe beitrag zum zur im am vom
    do da dos das um uma uns umas e ou com sobre nosso nossa nossos nossas novo nova novos novas meu minha
    este esta isso isto muito mais escreva legenda pro pra no na nos nas
    il lo gli i di dei degli delle della dello e o con per su sul sulla nostro nostra nostri nostre nuovo
    nuova nuovi nuove mio mia questo questa molto piu scrivi didascalia
    """.split()  # noqa: SIM905
)


def _plain(word: str) -> str:
    """The word without accents, as STOPWORDS are written ("über" -> "uber", "légende" -> "legende")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def stopword(word: str) -> bool:
    return word in STOPWORDS or _plain(word) in STOPWORDS


# Small, curated topic expansions: a word in the subject brings in the community tags people search for.
TOPIC_TAGS: dict[str, list[str]] = {
    "coffee": ["coffee", "coffeetime", "coffeelover"],
    "latte": ["latte", "coffee", "coffeelover"],
    "espresso": ["espresso", "coffee"],
    "cappuccino": ["cappuccino", "coffee"],
    "oat": ["oatmilk", "plantbased"],
    "vegan": ["vegan", "plantbased"],
    "tea": ["tea", "teatime"],
    "cafe": ["cafe", "coffeeshop"],
    "bakery": ["bakery", "freshlybaked"],
    "cake": ["cake", "baking"],
    "pizza": ["pizza", "foodie"],
    "food": ["foodie", "food"],
    "recipe": ["recipe", "homecooking"],
    "travel": ["travel", "wanderlust"],
    "fitness": ["fitness", "workout"],
    "gym": ["gym", "fitness"],
    "yoga": ["yoga", "wellness"],
    "book": ["books", "booklover"],
    "music": ["music", "newmusic"],
    "tech": ["tech", "innovation"],
    "ai": ["ai", "tech"],
    "software": ["software", "tech"],
    "startup": ["startup", "entrepreneur"],
    "sale": ["sale", "shopsmall"],
    "fashion": ["fashion", "style"],
    "summer": ["summer"],
    "winter": ["winter"],
}

# Nouns too generic to stand as a hashtag on their own ("#class", "#drive").
GENERIC = frozenset(
    """
    class drive event day week weekend month session update news thing time menu series edition night
    morning evening monday tuesday wednesday thursday friday saturday sunday team people head
    """.split()  # noqa: SIM905
)


_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_ELISION = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t|dell|nell|all|sull|dall|un)['’]", re.IGNORECASE)


def _word(token: str) -> str:
    """A token lower-cased, without a French or Italian elision ("qu'on" -> "on", "l'estate" -> "estate")."""
    return _ELISION.sub("", token.lower())


def words(text: str) -> list[str]:
    return [_word(w) for w in _TOKEN.findall(text)]


def keywords(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        if not stopword(w) and len(w) > 1 and not w.isdigit() and w not in out:
            out.append(w)
    return out


def clean_tag(tag: str) -> str:
    tag = unicodedata.normalize("NFC", tag.strip().lstrip("#"))
    return "".join(ch for ch in tag if ch.isalnum() or ch == "_")


def _camel(tag: str) -> str:
    return tag[:1].upper() + tag[1:]


def _names(text: str) -> list[str]:
    """Names of two or three capitalised words side by side ("Maria Lopez", "Spoke Chain"), as written."""
    out: list[str] = []
    run: list[str] = []
    end = -1
    for m in _TOKEN.finditer(text):
        word = m.group()
        capital = word[0].isupper() and not stopword(word.lower())
        if capital and run and text[end : m.start()] in (" ", "\t"):
            run.append(word)
        else:
            if 2 <= len(run) <= 3:
                out.append(" ".join(run))
            run = [word] if capital else []
        end = m.end()
    if 2 <= len(run) <= 3:
        out.append(" ".join(run))
    return out


def _first_phrase(text: str) -> list[str]:
    """The keywords of the first run of two or more side by side ("our handmade ceramic mugs, $28" ->
    handmade, ceramic, mugs): only words that stand together make one tag ("#ceramicmugs", not "#abhof")."""
    run: list[str] = []
    end = -1
    for m in _TOKEN.finditer(text):
        w = _word(m.group())
        content = not stopword(w) and len(w) > 1 and not w.isdigit()
        if content and run and text[end : m.start()] in (" ", "-"):
            run.append(w)
        elif run and len(run) >= 2:
            return run
        else:
            run = [w] if content else []
        end = m.end()
    return run if len(run) >= 2 else []


def hashtags_for(text: str, count: int, voice: VoiceGuide, camel: bool = False) -> list[str]:
    """Hashtags from the text: names ("Maria Lopez") and the first phrase ("ceramic mugs") as one tag, its
    head noun, the community tags people search for around it, then the other keywords. Specific before
    broad; banned words never appear."""
    if count <= 0:
        return []
    names = _names(text)
    for name in names:
        text = text.replace(name, " . ")
    keys = keywords(text)[:6]
    scored: dict[str, float] = {}

    def add(tag: str, score: float) -> None:
        tag = clean_tag(tag)
        if len(tag) >= 2:
            scored[tag.lower()] = max(scored.get(tag.lower(), 0.0), score)

    phrase = _first_phrase(text)
    if phrase:
        add("".join(phrase[-2:]), 5.0)
    display: dict[str, str] = {}
    for name in names:
        add(name.replace(" ", ""), 4.5)
        display[clean_tag(name.replace(" ", "")).lower()] = clean_tag(name.replace(" ", ""))
    specific = [k for k in keys if k not in GENERIC]
    if specific:
        head = specific[-1] if len(specific) <= 3 else specific[1]
        add(head, 4.0)
        for i, tag in enumerate(TOPIC_TAGS.get(head, [])):
            add(tag, 3.5 - i * 0.1)
    else:
        head = ""
    for pos, key in enumerate(keys):
        for i, tag in enumerate(TOPIC_TAGS.get(key, [])):
            add(tag, 3.0 - pos * 0.1 - i * 0.05)
        if key in GENERIC:
            add(key, 0.5)
        elif len(key) >= 4 and key not in TOPIC_TAGS:
            add(key, 2.0 - pos * 0.1)
        elif key in TOPIC_TAGS:
            add(key, 1.5 - pos * 0.1)
    banned = [b.lower() for b in voice.banned_words if b.strip()]
    ranked = sorted(scored, key=lambda t: -scored[t])
    chosen = [t for t in ranked if not any(b in t for b in banned)][:count]
    return [display.get(t, _camel(t)) if camel else t for t in chosen]


def strip_banned(text: str, banned: list[str]) -> str:
    for word in banned:
        if word.strip():
            text = re.sub(rf"(?i)\b{re.escape(word.strip())}\b\s?", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
