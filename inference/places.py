"""Place linking: LOCATION texts and the places inside ORGANIZATION texts -> administrative units with codes.

The Vietnamese units come from the PyPI package ``vietnam-provinces`` (2025.10.1), which holds only the units
in force after the reorganisation of 2025-07-01: 34 provinces and 3,321 communes (xã, phường, đặc khu), no
districts, and no map from the old units. Reports written before that date name the 63 old provinces, so a
small table here (``_OLD_PROVINCES``, Resolution 202/2025/QH15) gives their old GSO code and the province they
merged into. Consequences:

* province: a current name links to the current unit (``code == current_code``); an old name (``Kon Tum``)
  keeps its old code and gets the current unit (``Quảng Ngãi``) as ``current_*``;
* district (``huyện``, ``quận``, ``thị xã``, a provincial ``thành phố``): no data, stays unlinked with a reason;
* commune: matched against the current commune list, so an old commune whose name survived links to the
  current commune of that name (``code == current_code``); one merged away under another name is unknown.

Foreign countries get ISO 3166-1 alpha-2 codes; foreign provinces (``tỉnh Savannakhet (Lào)``) stay unlinked
and carry the country. Codes are GSO codes as zero-padded strings: 2 digits for provinces, 5 for communes.

Over 300 lines on purpose: most of it is the table of the 63 old provinces and the name index;
the linking logic itself is short.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from annotations.text import normalize

MAX_CANDIDATES = 5

# The 63 provinces before 2025-07-01: old GSO code, name, code of the current province they belong to.
_OLD_PROVINCES: tuple[tuple[int, str, int], ...] = (
    (1, "Thành phố Hà Nội", 1),
    (2, "Hà Giang", 8),
    (4, "Cao Bằng", 4),
    (6, "Bắc Kạn", 19),
    (8, "Tuyên Quang", 8),
    (10, "Lào Cai", 15),
    (11, "Điện Biên", 11),
    (12, "Lai Châu", 12),
    (14, "Sơn La", 14),
    (15, "Yên Bái", 15),
    (17, "Hòa Bình", 25),
    (19, "Thái Nguyên", 19),
    (20, "Lạng Sơn", 20),
    (22, "Quảng Ninh", 22),
    (24, "Bắc Giang", 24),
    (25, "Phú Thọ", 25),
    (26, "Vĩnh Phúc", 25),
    (27, "Bắc Ninh", 24),
    (30, "Hải Dương", 31),
    (31, "Thành phố Hải Phòng", 31),
    (33, "Hưng Yên", 33),
    (34, "Thái Bình", 33),
    (35, "Hà Nam", 37),
    (36, "Nam Định", 37),
    (37, "Ninh Bình", 37),
    (38, "Thanh Hóa", 38),
    (40, "Nghệ An", 40),
    (42, "Hà Tĩnh", 42),
    (44, "Quảng Bình", 44),
    (45, "Quảng Trị", 44),
    (46, "Thừa Thiên Huế", 46),
    (48, "Thành phố Đà Nẵng", 48),
    (49, "Quảng Nam", 48),
    (51, "Quảng Ngãi", 51),
    (52, "Bình Định", 52),
    (54, "Phú Yên", 66),
    (56, "Khánh Hòa", 56),
    (58, "Ninh Thuận", 56),
    (60, "Bình Thuận", 68),
    (62, "Kon Tum", 51),
    (64, "Gia Lai", 52),
    (66, "Đắk Lắk", 66),
    (67, "Đắk Nông", 68),
    (68, "Lâm Đồng", 68),
    (70, "Bình Phước", 75),
    (72, "Tây Ninh", 80),
    (74, "Bình Dương", 79),
    (75, "Đồng Nai", 75),
    (77, "Bà Rịa - Vũng Tàu", 79),
    (79, "Thành phố Hồ Chí Minh", 79),
    (80, "Long An", 80),
    (82, "Tiền Giang", 82),
    (83, "Bến Tre", 86),
    (84, "Trà Vinh", 86),
    (86, "Vĩnh Long", 86),
    (87, "Đồng Tháp", 82),
    (89, "An Giang", 91),
    (91, "Kiên Giang", 91),
    (92, "Thành phố Cần Thơ", 92),
    (93, "Hậu Giang", 92),
    (94, "Sóc Trăng", 92),
    (95, "Bạc Liêu", 96),
    (96, "Cà Mau", 96),
)

# Other spellings of a province name (keys as ``_key`` makes them) -> the name in the tables above.
_PROVINCE_ALIASES = {
    "hcm": "Thành phố Hồ Chí Minh",
    "tphcm": "Thành phố Hồ Chí Minh",
    "sài gòn": "Thành phố Hồ Chí Minh",
    "brvt": "Bà Rịa - Vũng Tàu",
    "thừa thiên": "Thừa Thiên Huế",
}

# Countries by their Vietnamese and English names -> ISO 3166-1 alpha-2, Vietnamese name.
_COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "VN": ("Việt Nam", ("việt nam", "vietnam", "viet nam")),
    "LA": ("Lào", ("lào", "laos", "lao pdr")),
    "KH": ("Campuchia", ("campuchia", "cam pu chia", "cambodia", "căm pu chia")),
    "CN": ("Trung Quốc", ("trung quốc", "china")),
    "TH": ("Thái Lan", ("thái lan", "thailand")),
    "MM": ("Myanmar", ("myanmar", "mianma", "miến điện")),
    "MY": ("Malaysia", ("malaysia", "ma lai xi a")),
    "ID": ("Indonesia", ("indonesia", "in đô nê xi a")),
    "PH": ("Philippines", ("philippines", "philippin", "phi líp pin")),
    "SG": ("Singapore", ("singapore", "xin ga po")),
    "BN": ("Brunei", ("brunei",)),
    "TL": ("Đông Timor", ("đông timor", "timor leste")),
    "TW": ("Đài Loan", ("đài loan", "taiwan")),
    "KR": ("Hàn Quốc", ("hàn quốc", "south korea", "korea")),
    "KP": ("Triều Tiên", ("triều tiên", "north korea")),
    "JP": ("Nhật Bản", ("nhật bản", "japan")),
    "IN": ("Ấn Độ", ("ấn độ", "india")),
    "RU": ("Nga", ("liên bang nga", "nga", "russia")),
    "US": ("Hoa Kỳ", ("hoa kỳ", "mỹ", "usa", "united states")),
    "AU": ("Úc", ("úc", "australia", "ô xtrây li a")),
    "GB": ("Anh", ("vương quốc anh", "united kingdom")),
    "FR": ("Pháp", ("pháp", "france")),
    "DE": ("Đức", ("đức", "germany")),
}

# Provinces of the neighbours that border reports name without the country; they stay unlinked.
_FOREIGN_PROVINCES: dict[str, tuple[str, ...]] = {
    "LA": (
        "savannakhet", "xa van na khẹt", "champasak", "chăm pa sắc", "attapeu", "at tạ pư", "sekong", "xê kông",
        "salavan", "sa la van", "khammouane", "khăm muộn", "bolikhamxay", "bô ly khăm xay", "bolikhamsai", "bôlykhămxay",
        "xiengkhouang", "xiêng khoảng", "houaphanh", "hủa phăn", "luang prabang", "luông pha bang",
        "phongsaly", "phông sa lỳ", "phông xa lỳ", "oudomxay", "u đôm xay", "viêng chăn", "vientiane",
        "sa vẳn na khệt", "xa vẳn na khệt", "át tạ pư", "khăm muồn", "luang namtha", "luổng nặm thà",
        "luông nậm thà", "bokeo", "bò kẹo", "sayaboury", "xaignabouli", "xay nha bu ly", "xaisomboun",
        "xay xổm bun",
    ),
    "KH": (
        "ratanakiri", "ra ta na ki ri", "mondulkiri", "mun đun ki ri", "kratie", "kra chê", "svay rieng",
        "svây riêng", "prey veng", "prây veng", "takeo", "ta keo", "kampot", "cam pốt", "kandal", "tbong khmum",
        "tboung khmum", "stung treng", "xtung treng", "phnom penh", "phnôm pênh", "kampong cham", "kông pông chàm",
        "kampong thom", "kông pông thom", "preah vihear", "siem reap", "xiêm riệp", "battambang", "koh kong",
        "kampong speu", "kampong chhnang", "pursat", "banteay meanchey", "oddar meanchey", "pailin", "kep",
    ),
    "CN": ("vân nam", "yunnan", "quảng tây", "guangxi", "quảng đông", "guangdong"),
}  # fmt: skip

# Type words that open a name, longest first, and the level each one states. "thành phố" is a province
# (Hà Nội) or an old district-level city (Kon Tum city): "city" is settled by lookup.
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("thành phố trực thuộc trung ương", "province"),
    ("thành phố", "city"),
    ("tp.", "city"),
    ("tp", "city"),
    ("tỉnh", "province"),
    ("huyện", "district"),
    ("quận", "district"),
    ("thị xã", "district"),
    ("tx.", "district"),
    ("thị trấn", "commune"),
    ("đặc khu", "commune"),
    ("phường", "commune"),
    ("xã", "commune"),
)
# Descriptors before a place that are not part of its name ("khu vực cửa khẩu Lao Bảo" -> "Lao Bảo").
_DESCRIPTORS = (
    "khu vực", "địa bàn", "khu kinh tế cửa khẩu", "khu kinh tế", "cửa khẩu quốc tế", "cửa khẩu chính",
    "cửa khẩu phụ", "cửa khẩu", "lối mở", "tuyến biên giới", "biên giới", "vùng biển", "nước", "chdcnd",
    "cộng hòa dân chủ nhân dân", "vương quốc", "nước cộng hòa", "cộng hòa",
)  # fmt: skip
# Parts below the commune ("bản Tà Ôi", "thôn 3"): skipped when a larger part follows.
_SUBCOMMUNE = ("tổ dân phố", "thôn", "bản", "ấp", "buôn", "làng", "xóm", "khóm", "khối", "tổ", "đội", "mốc", "km", "plei")

_SUBCOMMUNE_REASON = "below commune level (village, hamlet, border marker): not an administrative unit"
_DISTRICT_REASON = "district level: vietnam-provinces has no districts (abolished 2025-07-01)"

_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Old-style tone placement "hoà", "thuỷ" vs new "hòa", "thủy": in NFD move a tone on o/u behind the next vowel.
_OLD_TONE = re.compile(rf"([ou])([{_TONES}])([aey])(?!\w)")
_DAK = re.compile(r"(?<!\w)(?:đăk|đắc|đăc|đak|dak|đắk)(?!\w)")
_SEPARATORS = re.compile(r"\s*[-–—/]\s*|\s+")


def _key(name: str) -> str:
    """Match key: NFC, lower case, one tone placement, one Đắk spelling, dots/hyphens as spaces."""
    text = unicodedata.normalize("NFD", normalize(name).casefold())
    text = unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", text))
    text = _DAK.sub("đắk", text)
    return _SEPARATORS.sub(" ", text.replace(".", " ")).strip()


def _strip_prefix(key: str, words: tuple[str, ...]) -> tuple[str, str | None]:
    """Remove one leading word of ``words`` from ``key``; return the rest and the word removed."""
    for word in words:
        if key == word:
            return "", word
        if key.startswith(word + " "):
            return key[len(word) + 1 :], word
    return key, None


@dataclass(frozen=True)
class PlaceLink:
    """One place text linked (or not) to a unit; ``reason`` says why when ``code`` is None."""

    text: str
    level: str | None  # "province" | "district" | "commune" | "country"
    code: str | None  # administrative code as named, or ISO country code
    name: str | None  # full official name as named
    current_code: str | None  # unit after the 2025 reorganisation
    current_name: str | None
    country: str | None  # "VN" or ISO code
    candidates: list[dict] = field(default_factory=list)  # when ambiguous: [{"code", "name", "level", "province"}]
    reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Unit:
    level: str  # "province" | "commune"
    code: str
    name: str
    current_code: str
    current_name: str
    province: str  # current province code: what context filters on
    kind: str  # type word of a commune ("xã", "phường", "đặc khu"); "" for provinces

    def candidate(self, province_names: dict[str, str]) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level, "province": province_names[self.province]}


@dataclass(frozen=True)
class _Index:
    provinces: dict[str, _Unit]  # key -> the one province of that name
    communes: dict[str, tuple[_Unit, ...]]  # key -> every commune of that name
    countries: dict[str, str]  # key -> ISO code
    foreign: dict[str, str]  # foreign province key -> ISO code
    province_names: dict[str, str]  # current code -> name


def _province_key(name: str) -> str:
    return _strip_prefix(_key(name), ("thành phố", "tỉnh"))[0]


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Build the lookup tables once, on first use (importing vietnam_provinces costs ~0.1 s)."""
    from vietnam_provinces import Province, Ward

    current = {f"{int(p.code):02d}": p.name for p in Province.iter_all()}
    provinces: dict[str, _Unit] = {}
    for code, name in current.items():
        provinces[_province_key(name)] = _Unit("province", code, name, code, name, code, "")
    for old, name, new in _OLD_PROVINCES:
        new_code = f"{new:02d}"
        # A name still in use is the current unit; only vanished names keep their pre-2025 code.
        unit = _Unit("province", f"{old:02d}", name, new_code, current[new_code], new_code, "")
        provinces.setdefault(_province_key(name), unit)
    for alias, name in _PROVINCE_ALIASES.items():
        provinces[alias] = provinces[_province_key(name)]

    communes: dict[str, list[_Unit]] = {}
    for ward in Ward.iter_all():
        code, province = f"{int(ward.code):05d}", f"{int(ward.province_code):02d}"
        kind = ward.division_type.value
        rest, _ = _strip_prefix(_key(ward.name), (_key(kind),))
        communes.setdefault(rest, []).append(_Unit("commune", code, ward.name, code, ward.name, province, kind))

    return _Index(
        provinces=provinces,
        communes={key: tuple(units) for key, units in communes.items()},
        countries={_key(alias): iso for iso, (_, aliases) in _COUNTRIES.items() for alias in aliases},
        foreign={_key(name): iso for iso, names in _FOREIGN_PROVINCES.items() for name in names},
        province_names=current,
    )


@dataclass(frozen=True)
class _Part:
    """One comma-separated piece of a place text: its match key and the level its type word states."""

    key: str
    hint: str | None  # "province" | "city" | "district" | "commune" | None (bare name)
    kind: str | None  # the type word itself ("xã", "phường", ...)
    subcommune: bool = False


_TYPE_KEYS = dict((_key(word), level) for word, level in _TYPE_WORDS)
_TYPE_ONLY = tuple(_TYPE_KEYS)
_DESCRIPTOR_KEYS = tuple(_key(word) for word in _DESCRIPTORS)
_SUBCOMMUNE_KEYS = tuple(_key(word) for word in _SUBCOMMUNE)
_SPLIT = re.compile(r"[,;()]")


def _parts(text: str, index: _Index) -> list[_Part]:
    """Split "xã Bờ Y, huyện Ngọc Hồi, tỉnh Kon Tum (Việt Nam)" into parts, most specific first."""
    parts = []
    for piece in _SPLIT.split(text):
        key = _key(piece)
        while True:  # "khu vực cửa khẩu quốc tế X": several descriptors in a row
            key, removed = _strip_prefix(key, _DESCRIPTOR_KEYS)
            if removed is None:
                break
        if not key:
            continue
        rest, word = _strip_prefix(key, _TYPE_ONLY)
        if word is not None and rest:
            parts.append(_Part(rest, _TYPE_KEYS[word], word))
            continue
        _, sub = _strip_prefix(key, _SUBCOMMUNE_KEYS)
        # "bản Tà Ôi" is a village, but "Bản Lầu" and "Buôn Hồ" are communes: the index decides.
        parts.append(_Part(key, None, None, subcommune=sub is not None and key not in index.communes))
    return parts


def _country(part: _Part, index: _Index) -> str | None:
    return index.countries.get(part.key) if part.hint is None else None


def _province(part: _Part, index: _Index) -> _Unit | None:
    return index.provinces.get(part.key) if part.hint in (None, "province", "city") else None


def _context_province(part: _Part, index: _Index) -> str | None:
    """The current province a context place points to: a province, or a commune with a unique name."""
    unit = _province(part, index)
    if unit is None and part.hint in (None, "commune") and len(communes := index.communes.get(part.key, ())) == 1:
        unit = communes[0]
    return unit.province if unit else None


def _unlinked(level: str | None, country: str | None, reason: str, candidates: tuple = ()) -> tuple:
    return (level, None, None, None, None, country, candidates, reason)


def _linked(unit: _Unit) -> tuple:
    return (unit.level, unit.code, unit.name, unit.current_code, unit.current_name, "VN", (), None)


@lru_cache(maxsize=65536)
def _resolve(text: str, context: tuple[str, ...]) -> tuple:
    """The fields of a PlaceLink (candidates as a tuple), cached: extraction repeats the same places."""
    index = _index()
    parts = _parts(text, index)
    if not parts:
        return _unlinked(None, None, "empty place text")
    written_text = text.strip()

    # A country part, written or in brackets, says whose place this is.
    countries = [iso for part in parts if (iso := _country(part, index))]
    places = [part for part in parts if not _country(part, index)]
    if not places:
        iso = countries[0]
        return ("country", iso, _COUNTRIES[iso][0], None, None, iso, (), None)
    target = next((part for part in places if not part.subcommune), None)
    if target is None:
        return _unlinked(None, countries[0] if countries else None, _SUBCOMMUNE_REASON)
    foreign = next((iso for iso in countries if iso != "VN"), None) or index.foreign.get(target.key)
    if foreign:
        level = target.hint if target.hint in ("province", "district", "commune") else None
        return _unlinked(level, foreign, f"foreign place in {foreign}: only the country is linked")

    # Provinces named in the larger parts of the text bind strictly; those of `context` only when they fit.
    larger = places[places.index(target) + 1 :]
    written = {unit.province for part in larger if (unit := _province(part, index))}
    around = {province for item in context for part in _parts(item, index) if (province := _context_province(part, index))}

    province = _province(target, index) if target.hint in ("province", "city") or not larger else None
    if target.hint == "city" and province is not None and not province.name.startswith("Thành phố"):
        province = None  # "thành phố Kon Tum" is the old district-level city, not the province Kon Tum
    if target.hint == "district" or (target.hint == "city" and province is None):
        return _unlinked("district", "VN", _DISTRICT_REASON)
    if target.hint in ("province", "city"):
        return _linked(province) if province else _unlinked("province", None, f"unknown province {written_text!r}")

    communes = index.communes.get(target.key, ())
    if target.kind in ("xã", "phường", "đặc khu"):  # the written type word breaks ties, never excludes
        communes = tuple(unit for unit in communes if unit.kind == target.kind) or communes
    if written:
        communes = tuple(unit for unit in communes if unit.province in written)
    elif around:
        communes = tuple(unit for unit in communes if unit.province in around) or communes
    if province is not None and communes and (written or around) and province.province not in written | around:
        province = None  # the article is about another province: the commune reading fits it

    if province is not None and any(_province(part, index) == province for item in context for part in _parts(item, index)):
        return _linked(province)  # "Kon Tum" in an article that says "tỉnh Kon Tum": the province, not the ward
    matches = ((province,) if province else ()) + communes
    if len(matches) == 1:
        return _linked(matches[0])
    if not matches:
        where = f" in {', '.join(index.province_names[code] for code in sorted(written))}" if written else ""
        return _unlinked(target.hint, None, f"no unit named {written_text!r}{where} (an old district or merged commune?)")
    candidates = tuple(tuple(unit.candidate(index.province_names).items()) for unit in matches[:MAX_CANDIDATES])
    reason = f"ambiguous: {len(matches)} units match {written_text!r}; the province would tell"
    return _unlinked(target.hint, "VN", reason, candidates)


def link_place(text: str, context: list[str] | None = None) -> PlaceLink:
    """Link a LOCATION text (or a place from ``places_in_organisation``) to a unit.

    ``context``: other place names of the same article; a province among them picks between namesakes.
    """
    level, code, name, current_code, current_name, country, candidates, reason = _resolve(normalize(text), tuple(context or ()))
    return PlaceLink(
        text=text,
        level=level,
        code=code,
        name=name,
        current_code=current_code,
        current_name=current_name,
        country=country,
        candidates=[dict(candidate) for candidate in candidates],  # fresh dicts: the cache must not be mutated
        reason=reason,
    )


# An ORGANIZATION names its place after a type word ("BĐBP tỉnh Lai Châu") or after "Biên phòng"/"BĐBP"
# ("Đồn Biên phòng Ma Lù Thàng"). A name is a run of capitalised syllables (digits and " - " allowed inside).
_NAME = r"(?:[^\W\d_]\w*|\d+)(?:(?:\s+|\s*-\s*)(?:[^\W\d_]\w*|\d+))*"
_TYPED = re.compile(
    r"(?<!\w)(?:thành phố|tp\.?|tỉnh|huyện|quận|thị xã|thị trấn|đặc khu|phường|xã)\s+"
    r"(?P<name>" + _NAME + r")(?P<country>\s*\([^()]*\))?",
    re.IGNORECASE,
)
_AFTER_BORDER = re.compile(
    r"(?<!\w)(?:biên phòng|bđbp|bp)\s+(?:(?:cửa khẩu|ck)(?:\s+(?:quốc tế|chính|phụ))?\s+)?(?P<name>" + _NAME + ")",
    re.IGNORECASE,
)
# Capitalised words that start another organisation, not a place ("BĐBP Hải đội 2", "Biên phòng Bộ Chỉ huy").
_NOT_PLACES = {"bộ", "ban", "đồn", "trạm", "hải", "đội", "phòng", "cục", "tiểu", "trung", "học", "trường"}


def _capitalised(name: str) -> str:
    """Keep the leading syllables that start with a capital or are numbers: "Lai Châu phối hợp" -> "Lai Châu"."""
    words = re.split(r"(\s*-\s*|\s+)", name)
    kept: list[str] = []
    for i in range(0, len(words), 2):
        if not (words[i][:1].isupper() or words[i].isdigit()):
            break
        kept.extend(([words[i - 1]] if i else []) + [words[i]])
    return "".join(kept)


_TYPE_WORD = re.compile(r"(?<!\w)(?:thành phố|tỉnh|huyện|quận|thị xã|thị trấn|đặc khu|phường|xã)\s+", re.IGNORECASE)


def typed_place_names(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, type word)`` of each name written after its type word: ``tỉnh Lai Châu`` -> the offsets of ``Lai Châu``."""
    found = []
    for match in _TYPE_WORD.finditer(text):
        name = _capitalised(text[match.end() :].split(",")[0])
        if name and name.split()[0].casefold() not in _NOT_PLACES and name.split()[0].casefold() not in _TYPE_ONLY:
            found.append((match.end(), match.end() + len(name), _key(match.group(0))))
    return found


def gazetteer() -> tuple[list[str], list[str]]:
    """Every province name (current and pre-2025) and every commune name, without its type word (for augmentation)."""
    from vietnam_provinces import Province, Ward

    def bare(name: str, kinds: tuple[str, ...]) -> str:
        for kind in kinds:
            name = re.sub(rf"^{kind}\s+", "", normalize(name), flags=re.IGNORECASE)
        return name.strip()

    provinces = {bare(p.name, ("thành phố", "tỉnh")) for p in Province.iter_all()}
    provinces |= {bare(name, ("thành phố", "tỉnh")) for _, name, _ in _OLD_PROVINCES}
    communes = {bare(w.name, (w.division_type.value,)) for w in Ward.iter_all()}
    return sorted(provinces), sorted(communes)


def places_in_organisation(text: str) -> list[str]:
    """Place names inside an ORGANIZATION text, as written: ``Bộ Chỉ huy BĐBP tỉnh Lai Châu`` -> ``["tỉnh Lai Châu"]``."""
    text = normalize(text)
    found: list[tuple[int, str]] = []
    for match in _TYPED.finditer(text):
        name = _capitalised(match["name"])
        if name and name.split()[0].casefold() not in _NOT_PLACES:
            # "tỉnh Savannakhet (Lào)": keep the country in brackets when the name runs up to it
            end = match.end() if match["country"] and name == match["name"] else match.start("name") + len(name)
            found.append((match.start(), text[match.start() : end]))
    for match in _AFTER_BORDER.finditer(text):
        name = _capitalised(match["name"])
        first = name.split()[0].casefold() if name else ""
        if name and first not in _NOT_PLACES and first not in _TYPE_ONLY:
            found.append((match.start("name"), name))
    places: list[str] = []
    for _, place in sorted(found):
        if place not in places:
            places.append(place)
    return places


@lru_cache(maxsize=1)
def _ranked_names() -> tuple[frozenset[str], frozenset[str]]:
    provinces, _ = gazetteer()
    countries = {_key(alias) for _, aliases in _COUNTRIES.values() for alias in aliases}
    foreign = {_key(alias) for aliases in _FOREIGN_PROVINCES.values() for alias in aliases}
    return frozenset(countries), frozenset({_key(p) for p in provinces} | foreign)


def _rank(name: str) -> int:
    countries, provinces = _ranked_names()
    key = _key(name)
    return 2 if key in countries else 1 if key in provinces else 0


# "các phường Thuận An, Hải Dương", "hai tỉnh Quảng Bình, Quảng Trị": a list of places of one type, whatever
# their names
_PLURAL_TYPE = re.compile(
    r"(?<!\w)(?:các|hai|ba|bốn|năm|\d+)\s+(?:thành phố|tỉnh|huyện|quận|thị xã|thị trấn|đặc khu|phường|xã|bản|thôn|ấp|"
    r"làng|nước|quốc gia)\s+$",
    re.IGNORECASE,
)


def chained(before: str, child: str, parent: str) -> bool:
    """Whether ``child, parent`` is a comma chain, one LOCATION (decision 15): ``parent`` names a larger kind of
    place, a province (of Vietnam, old or new, or of a neighbour) after a smaller place (``Hoài Ân, Bình Định``),
    or a country after a province or a smaller place (``Quảng Tây, Trung Quốc``). ``before`` is the sentence up
    to the chain. Two provinces or two countries in a row are a list, and so is anything after ``các xã``."""
    return child[:1].isupper() and not _PLURAL_TYPE.search(before) and _rank(parent) > _rank(child)


def listed(before: str, first: str, second: str) -> bool:
    """Whether ``first, second`` are two items of a list, two LOCATION spans (SLOTS.md: a list gives one span per
    item): after a plural type word (``các tỉnh``, ``hai tỉnh``), or two provinces or two countries in a row
    (``Sơn La, Điện Biên``; ``Malaysia, Thái Lan``), or a larger place before a smaller one. Places of unknown
    rank (a commune, a district) are left as the model read them."""
    if _PLURAL_TYPE.search(before):
        return True
    rank = _rank(first)
    return rank > 0 and _rank(second) <= rank
