"""Place linking against vietnam-provinces: levels, old -> current provinces, countries, ambiguity, context, speed."""

from __future__ import annotations

import time

import pytest
from vietnam_provinces import Province, Ward

from inference.places import _OLD_PROVINCES, PlaceLink, chained, link_place, places_in_organisation


def _ward(name: str, province: int) -> str:
    """The package's own code for a ward, so the tests check linking, not copied numbers."""
    (ward,) = [w for w in Ward.iter_all() if w.name == name and int(w.province_code) == province]
    return f"{int(ward.code):05d}"


def test_old_province_keeps_its_code_and_gets_the_current_one():
    link = link_place("tỉnh Kon Tum")
    assert (link.level, link.code, link.name) == ("province", "62", "Kon Tum")
    assert (link.current_code, link.current_name, link.country) == ("51", "Quảng Ngãi", "VN")
    assert link.reason is None and link.candidates == []


def test_current_province_links_to_itself_whatever_the_type_word_or_case():
    for text in ("tỉnh Lai Châu", "Tỉnh Lai Châu", "LAI CHÂU", "  lai châu "):
        link = link_place(text)
        assert (link.level, link.code, link.current_code, link.name) == ("province", "12", "12", "Lai Châu"), text
    assert link_place("TP. HCM").code == link_place("thành phố Hồ Chí Minh").code == "79"
    assert link_place("Thanh Hoá").code == link_place("Thanh Hóa").code == "38"  # old and new tone placement


def test_every_old_province_maps_to_a_current_province():
    current = {int(p.code) for p in Province.iter_all()}
    assert len(_OLD_PROVINCES) == 63 and len(current) == 34
    assert {new for _, _, new in _OLD_PROVINCES} == current
    for _, name, new in _OLD_PROVINCES:
        text = name if name.startswith("Thành phố") else f"tỉnh {name}"
        assert link_place(text).current_code == f"{new:02d}", name


def test_commune_links_with_the_package_code():
    link = link_place("xã Bờ Y")
    assert (link.level, link.name, link.code) == ("commune", "Xã Bờ Y", _ward("Xã Bờ Y", 51))
    assert link.current_code == link.code
    # Đắk/Đắc and the written "thị trấn" (abolished in 2025) still find the commune
    assert link_place("xã Đắc Mil").name == "Xã Đắk Mil"
    assert link_place("thị trấn Lao Bảo").code == _ward("Xã Lao Bảo", 44)


def test_full_address_links_the_most_specific_unit():
    link = link_place("bản Tà Ôi, xã Bờ Y, huyện Ngọc Hồi, tỉnh Kon Tum")
    assert (link.level, link.code) == ("commune", _ward("Xã Bờ Y", 51))
    assert link_place("Hoài Ân, Bình Định").code == _ward("Xã Hoài Ân", 52)  # the province part picks the commune
    assert link_place("khu vực cửa khẩu Lao Bảo").code == _ward("Xã Lao Bảo", 44)


def test_district_level_stays_unlinked_with_a_reason():
    for text in ("huyện Ngọc Hồi", "thành phố Kon Tum", "thị xã Sa Pa"):
        link = link_place(text)
        assert (link.level, link.code, link.country) == ("district", None, "VN"), text
        assert "district" in link.reason
    # "Ngọc Hồi" is also a commune of Hà Nội, which the written province rules out
    link = link_place("Ngọc Hồi, Kon Tum")
    assert link.code is None and link.candidates == [] and "Quảng Ngãi" in link.reason


def test_countries_and_foreign_provinces():
    assert link_place("Campuchia").to_dict() | {"text": None} == {
        "text": None,
        "level": "country",
        "code": "KH",
        "name": "Campuchia",
        "current_code": None,
        "current_name": None,
        "country": "KH",
        "candidates": [],
        "reason": None,
    }
    assert link_place("CHDCND Lào").code == "LA"
    assert link_place("Trung Quốc").code == "CN"
    foreign = link_place("tỉnh Savannakhet (Lào)")
    assert (foreign.level, foreign.code, foreign.country) == ("province", None, "LA") and foreign.reason
    assert link_place("tỉnh Ratanakiri").country == "KH"  # a known neighbour province without its country
    assert link_place("tỉnh Lào Cai").code == "15"  # a province, not Laos


def test_ambiguous_names_give_candidates_until_context_decides():
    link = link_place("Bình Định")
    assert link.code is None and link.reason.startswith("ambiguous")
    assert {c["level"] for c in link.candidates} == {"province", "commune"}
    assert all(set(c) == {"code", "name", "level", "province"} for c in link.candidates)
    assert link_place("Bình Định", context=["tỉnh Hưng Yên"]).code == _ward("Xã Bình Định", 33)

    hoa_binh = link_place("xã Hòa Bình")
    assert hoa_binh.code is None and 2 <= len(hoa_binh.candidates) <= 5
    assert link_place("xã Hòa Bình", context=["tỉnh Cà Mau"]).code == _ward("Xã Hòa Bình", 96)
    assert link_place("xã Hoà Bình", context=["tỉnh Bạc Liêu"]).code == _ward("Xã Hòa Bình", 96)  # old province
    assert link_place("xã Hòa Bình", context=["tỉnh Lai Châu"]).code is None  # context that fits none is ignored
    assert link_place("Kon Tum", context=["tỉnh Kon Tum"]).code == "62"
    assert len(link_place("Tân An").candidates) == 5  # nine communes, capped


def test_unknown_and_empty_names():
    for text in ("Xyzabc", "", "bản Tà Ôi"):
        link = link_place(text)
        assert link.code is None and link.candidates == [] and link.reason, text
    assert link_place("Bản Lầu").level == "commune"  # a commune whose name starts like a village word


def test_results_are_independent_objects():
    first = link_place("Bình Định")
    first.candidates.clear()
    assert link_place("Bình Định").candidates
    assert isinstance(first, PlaceLink)


def test_places_in_organisation():
    assert places_in_organisation("Bộ Chỉ huy BĐBP tỉnh Lai Châu") == ["tỉnh Lai Châu"]
    assert places_in_organisation("Đồn Biên phòng Ma Lù Thàng") == ["Ma Lù Thàng"]
    assert places_in_organisation("Đồn Biên phòng Cửa khẩu Quốc tế Lao Bảo, BĐBP Quảng Trị") == ["Lao Bảo", "Quảng Trị"]
    assert places_in_organisation("Công an huyện Ngọc Hồi, tỉnh Kon Tum phối hợp") == ["huyện Ngọc Hồi", "tỉnh Kon Tum"]
    assert places_in_organisation("Công an tỉnh Savannakhet (Lào)") == ["tỉnh Savannakhet (Lào)"]
    assert places_in_organisation("Hải đội 2 BĐBP") == []
    assert link_place(places_in_organisation("Bộ Chỉ huy BĐBP tỉnh Lai Châu")[0]).code == "12"


def test_lookups_are_fast_after_the_first():
    link_place("xã Bờ Y")  # builds the index
    texts = [f"xã {w.name.split(' ', 1)[1]}" for w in list(Ward.iter_all())[:2000]]
    start = time.perf_counter()
    for text in texts:
        link_place(text, ["tỉnh Kon Tum"])
    uncached = (time.perf_counter() - start) / len(texts)
    start = time.perf_counter()
    for text in texts:
        link_place(text, ["tỉnh Kon Tum"])
    cached = (time.perf_counter() - start) / len(texts)
    assert uncached < 500e-6 and cached < 50e-6, (uncached, cached)


@pytest.mark.parametrize(
    "before, child, parent, expected",
    [
        ("quê ở ", "Hoài Ân", "Bình Định", True),  # a district, then its province
        ("trú tại ", "Đông Hà", "Quảng Trị", True),
        ("tỉnh ", "Svay Rieng", "Campuchia", True),  # a neighbour's province, then its country
        ("mua ở ", "Bằng Tường", "Quảng Tây", True),
        ("(", "Bolikhamxay", "Lào", True),
        ("các tỉnh ", "Lào Cai", "Hà Giang", False),  # two provinces: a list
        ("giữa ", "Việt Nam", "Lào", False),  # two countries
        ("các phường ", "Thuận An", "Hải Dương", False),  # after "các phường" a list, whatever the names
        ("tỉnh ", "Bôlykhămxay", "Xiêng Khoảng", False),
        ("ở ", "biên giới", "Lào", False),  # not a name
    ],
)
def test_a_comma_chain_is_a_smaller_place_then_a_larger_kind(before, child, parent, expected):
    assert chained(before, child, parent) is expected
