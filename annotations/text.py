"""Text units: NFC normalisation, article reading, sentences and syllable tokens.

Text is normalised to NFC exactly once, when it enters the system
(``normalize`` / ``read_article``); every offset afterwards is a code point
index into that NFC text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import InputError


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_article(path: Path) -> str:
    """Read a UTF-8 article file and return its NFC text, or raise ``InputError``."""
    try:
        size = Path(path).stat().st_size
        if size > 4 * MAX_ARTICLE_CHARS + 3:  # more bytes than the longest article takes in UTF-8: not read at all
            raise InputError(
                f"{path}: {size:,} bytes, over the limit of {MAX_ARTICLE_CHARS:,} characters; split it into several articles"
            )
        data = Path(path).read_bytes()
    except OSError as error:  # a dangling symlink, a folder named x.txt, no permission
        raise InputError(f"{path}: cannot read ({error.strerror or type(error).__name__})") from None
    return decode_article(data, str(path))


def decode_article(data: bytes, name: str) -> str:
    """The NFC text of an article file's bytes, or ``InputError`` naming ``name``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name}: not UTF-8 (byte {error.start}: {data[error.start : error.start + 1]!r});"
            " convert it with e.g. `iconv -f cp1258 -t utf-8`"
        ) from None
    problem = text_problem(text)
    if problem:
        raise InputError(f"{name}: {problem}")
    return normalize(text)


# The longest article read, in characters (about 300 pages): a longer text is a bad record, not
# hours of tagging and gigabytes of memory; split such a file into several articles.
MAX_ARTICLE_CHARS = 2_000_000

# Characters that show nothing: a text made only of these and spaces is empty.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def text_problem(text: str) -> str | None:
    """Why a decoded article text cannot be used, or None: empty, too long, NUL characters (UTF-16 read as UTF-8),
    lone surrogates."""
    if len(text) > MAX_ARTICLE_CHARS:
        return (
            f"the article has {len(text):,} characters, over the limit of {MAX_ARTICLE_CHARS:,}; split it into several articles"
        )
    if not text.translate(_INVISIBLE).strip():
        return "the article is empty"
    if "\x00" in text:
        return "the text holds NUL characters (is it UTF-16? convert it to UTF-8)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"the text holds a lone surrogate at character {error.start} (not valid Unicode)"
    return None


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: ``article_text[start:end] == text``."""

    index: int
    start: int
    end: int
    text: str


# Words after which a period does not end a sentence ("TP. Hồ Chí Minh", "ThS. Lê Văn A").
ABBREVIATIONS = frozenset("TP Tp tp Th.S ThS TS PGS GS BS KS CN Đ/c đ/c Mr Mrs Dr v.v".split())

# A line: CR, LS/PS (U+2028/9) and NEL end lines too, so files with old Mac or Word line endings still split.
_LINE = re.compile(r"[^\n\r\u2028\u2029\x85]+")

# A candidate boundary: sentence-final punctuation, optional closing quotes or
# brackets, then whitespace.
_END = re.compile(r"(?:\.{3}|…|[.!?])+[”\"’')\]]*(?=\s)")


def _is_upper_start(text: str) -> bool:
    match = re.match(r"\s+[\"“‘(\[\-–]?\s*(\S)", text)
    if not match:
        return False
    char = match.group(1)
    return char.isupper() or char.isdigit()


def split_sentences(text: str) -> list[Sentence]:
    """Split an NFC article into sentences.

    Lines are split first (paragraphs, photo captions ending in ``|``, headings);
    inside a line a sentence ends at ``.``, ``!``, ``?`` or an ellipsis followed by
    whitespace and an upper-case letter or digit. Numbers such as ``1.344``,
    ``0,128`` and ``24.11`` never contain whitespace after the dot, so they are
    never split; known abbreviations (``TP.``, ``ThS.``) and single initials are
    not sentence ends either.
    """
    sentences: list[Sentence] = []
    for line in _LINE.finditer(text):
        line_start = line.start()
        piece_start = 0
        line_text = line.group()
        for end in _END.finditer(line_text):
            if not _is_upper_start(line_text[end.end() :]):
                continue
            before = line_text[piece_start : end.start()]
            words_before = before.split()
            last_word = words_before[-1] if words_before else ""
            # "TS." after a number is the fishing-vessel suffix (tàu cá KH 96125 TS.), not "Tiến sĩ".
            after_number = len(words_before) > 1 and words_before[-2].isdigit()
            if end.group() == "." and not after_number and (last_word in ABBREVIATIONS or re.fullmatch(r"[A-ZĐ]", last_word)):
                continue
            _append(sentences, text, line_start + piece_start, line_start + end.end())
            piece_start = end.end()
        _append(sentences, text, line_start + piece_start, line_start + len(line_text))
    return sentences


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        sentences.append(Sentence(len(sentences), start, end, text[start:end]))


@dataclass(frozen=True)
class Token:
    """A syllable, a formatted number or one punctuation mark, with its offsets."""

    start: int
    end: int
    text: str


# Formatted numbers stay whole (1.344, 0,128, 24.11; 2020-11 is split at the dash); a run of
# letters is one syllable (H'Mông too), and so is a hyphenated foreign word as the press writes
# it (Khăm-phết, Sa-vẳn-na-khệt, ki-lô-gam), whose pieces never start or end a span; digits and
# letters part (0,128kg -> 0,128 | kg); any other character is its own token.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’\-‐][^\W\d_]+)*|\S")


# An online paper's dateline before an article's first words: "(BP) - ", "QĐND - ", "VOV.VN - ",
# "(Baonghean.vn) - ", "QĐND Online - ". The outlet is never a slot (decision 8). A word in capitals
# with Vietnamese vowel marks ("HUẾ - ") is a place, not an outlet, and is left to the model.
_DATELINE = re.compile(r"(\(?)([^\W_][\w.]*)(\)?)(?: Online)?\s+[-–—]\s+")
_OUTLET_IN_CAPITALS = re.compile(r"[A-ZĐ][A-ZĐ0-9.]*")
_OUTLET_DOMAIN = re.compile(r"[\w.]+\.(?:vn|com|net|org)", re.IGNORECASE)
# A paper named in words, in brackets: "(Báo Nghệ An) - ", "(Đài PT-TH Lai Châu) - "; its place is no slot either.
_NAMED_OUTLET = re.compile(r"\((?:Báo|Tạp chí|Đài|Truyền hình|Cổng TTĐT|Cổng thông tin điện tử) [^()]{1,40}\)\s+[-–—]\s+")


def dateline_end(text: str) -> int:
    """Where a paper's dateline at the start of ``text`` ends, 0 when there is none."""
    if named := _NAMED_OUTLET.match(text):
        return named.end()
    match = _DATELINE.match(text)
    if not match:
        return 0
    opening, outlet, closing = match.groups()
    if bool(opening) != bool(closing) or len(outlet) > 30:
        return 0
    in_brackets = opening and any(c.isalpha() for c in outlet)
    if in_brackets or _OUTLET_IN_CAPITALS.fullmatch(outlet) or _OUTLET_DOMAIN.fullmatch(outlet):
        return match.end()
    return 0


def tokenize(text: str, offset: int = 0) -> list[Token]:
    return [Token(m.start() + offset, m.end() + offset, m.group()) for m in _TOKEN.finditer(text)]


# Vietnamese capital vowels: every syllable has one, an acronym (BĐBP, CBCS, TTXVN) often none.
_VOWELS = frozenset("AĂÂEÊIOÔƠUƯYÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ")
# A run of letters: a syllable, a word of a foreign name or an acronym (no digits, no underscore).
LETTER_RUN = re.compile(r"[^\W\d_]+")


def unshouted(text: str) -> str:
    """``text`` with a stretch in capitals (a headline: ``TRƯỚC TẾT NGUYÊN ĐÁN: ...``) in lower case, at the
    same offsets; other text is returned unchanged.

    A stretch is three or more words in a row written in capitals that have a vowel; acronyms
    without one (``BĐBP``) may sit inside it and keep their capitals. Real reports set headlines in
    capitals; the corpus writes them in sentence case, and the model reads lower case far better.
    """
    stretches: list[list[re.Match]] = [[]]
    for m in LETTER_RUN.finditer(text):
        if any(c.islower() for c in m.group()):  # a word in lower or mixed case ends a stretch
            stretches.append([])
        elif any(c in _VOWELS for c in m.group()):
            stretches[-1].append(m)
    return _lowered(text, [m for stretch in stretches if len(stretch) >= 3 for m in stretch])


def untitled(text: str) -> str:
    """``text`` with its capitalised words in lower case, at the same offsets, when it is set in title case
    (``Bộ Đội Biên Phòng Tỉnh Hà Giang Bắt Giữ 3 Đối Tượng``); other text is returned unchanged.

    Title case: eight words or more, nine in ten of them capitalised, five of them in a row with only
    spaces between. No ordinary sentence of the corpus or the out-of-style set comes near (at most three
    in four capitalised); a caption of one or two names stays below it. Words in capitals (``UBND``)
    keep theirs. Some portals and posts set headlines this way, and the model reads lower case far
    better than every syllable capitalised.
    """
    words = list(LETTER_RUN.finditer(text))
    title_like = [m.group()[:1].isupper() for m in words]
    run = longest = 0
    for i, m in enumerate(words):
        joined = i > 0 and title_like[i - 1] and text[words[i - 1].end() : m.start()].isspace()
        run = (run + 1 if joined else 1) if title_like[i] else 0
        longest = max(longest, run)
    if len(words) < 8 or sum(title_like) < 0.9 * len(words) or longest < 5:
        return text
    return _lowered(text, [m for m in words if not any(c.isupper() for c in m.group()[1:])])


# Drug names that older papers spell with the circumflexes of a Vietnamese reading: "hêrôin" for the
# "heroin" of the corpus. Only spellings of the same length, so every offset stays.
_USUAL_SPELLINGS = {"hêrôin": "heroin"}
_SPELLED = re.compile(r"(?<!\w)(?:" + "|".join(_USUAL_SPELLINGS) + r")(?!\w)", re.IGNORECASE)


def usual_spellings(text: str) -> str:
    """``text`` with a drug name in an older spelling (``hêrôin``, ``Hêrôin``) in the spelling the training
    text uses (``heroin``, ``Heroin``), case kept letter by letter, at the same offsets."""

    def respelled(match: re.Match) -> str:
        usual = _USUAL_SPELLINGS[match.group().lower()]
        return "".join(u.upper() if c.isupper() else u for c, u in zip(match.group(), usual))

    return _SPELLED.sub(respelled, text)


def _lowered(text: str, words: list[re.Match]) -> str:
    """``text`` with ``words`` in lower case, where that keeps every offset."""
    if not words:
        return text
    chars = list(text)
    for m in words:
        for i in range(m.start(), m.end()):
            lower = chars[i].lower()
            if len(lower) == 1:  # offsets stay the same
                chars[i] = lower
    return "".join(chars)
