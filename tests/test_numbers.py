import pytest

from inference.numbers import has_numeral, normalise, parse_digits, parse_number_words, parse_quantity


@pytest.mark.parametrize(
    "text, value",
    [
        ("1.344", 1344),
        ("0,128", 0.128),
        ("01", 1),
        ("37.732", 37732),
        ("1.344,5", 1344.5),
        ("450.000.000", 450_000_000),
        ("3,5", 3.5),
        ("1.5", 1.5),
        ("03", 3),
    ],
)
def test_digits(text, value):
    assert parse_digits(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "words, value",
    [
        ("một", 1),
        ("hai mươi", 20),
        ("hai mươi mốt", 21),
        ("mười lăm", 15),
        ("ba mươi tư", 34),
        ("một trăm linh năm", 105),
        ("ba nghìn hai trăm", 3200),
        ("hai triệu", 2_000_000),
        ("mười", 10),
        ("bốn trăm năm mươi", 450),
        ("một tỷ", 1_000_000_000),
    ],
)
def test_number_words(words, value):
    assert parse_number_words(words.split()) == value


def test_not_number_words():
    assert parse_number_words(["đối", "tượng"]) is None


def test_quantities_keep_qualifier_unit_and_noun():
    assert parse_quantity("trên 1 tỉ đồng") == {
        "text": "trên 1 tỉ đồng",
        "value": 1_000_000_000,
        "unit": "đồng",
        "qualifier": "trên",
    }
    q = parse_quantity("1.344 lượt cán bộ, chiến sĩ")
    assert (q["value"], q["unit"], q["noun"]) == (1344, "lượt", "cán bộ, chiến sĩ")
    assert parse_quantity("hai mươi lượt")["value"] == 20
    assert parse_quantity("224") == {"text": "224", "value": 224, "unit": None}
    assert parse_quantity("hàng chục vụ")["value"] is None
    # No measure word: the counted noun stays whole and there is no unit.
    assert parse_quantity("7 điện thoại di động") == {
        "text": "7 điện thoại di động",
        "value": 7,
        "unit": None,
        "noun": "điện thoại di động",
    }
    assert parse_quantity("274 khẩu súng tự chế")["unit"] == "khẩu"
    assert parse_quantity("25.000 Nhân dân tệ")["unit"] == "nhân dân tệ"


def test_weights_in_grams_and_money_in_dong():
    assert normalise("DRUG_AMOUNT", "0,128kg") == {"text": "0,128kg", "value": 0.128, "unit": "kg", "grams": 128}
    assert normalise("DRUG_AMOUNT", "0,43g")["grams"] == pytest.approx(0.43)
    assert normalise("SEIZED_ITEM", "15kg pháo")["grams"] == 15000
    money = normalise("MONEY", "3,5 tỷ đồng")
    assert money["dong"] == 3_500_000_000 and money["currency"] == "VND"
    assert normalise("MONEY", "gần 800 triệu đồng")["dong"] == 800_000_000
    assert normalise("MONEY", "18.500 USD")["currency"] == "USD" and "dong" not in normalise("MONEY", "18.500 USD")
    assert normalise("CASE_COUNT", "01 Chuyên án")["unit"] == "chuyên án"
    assert normalise("SUSPECT_COUNT", "mười hai đối tượng")["value"] == 12
    assert normalise("LOCATION", "Hà Giang") == {"text": "Hà Giang"}


def test_whole_values_are_ints_and_fractions_stay_floats():
    from inference.numbers import parse_quantity

    whole, fraction = parse_quantity("1.344 lượt")["value"], parse_quantity("0,128kg")["value"]
    assert type(whole) is int and whole == 1344
    assert type(fraction) is float and fraction == 0.128
    assert type(parse_quantity("2,0 tấn")["value"]) is int


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12 đối tượng", True),
        ("ngót bốn trăm lượt ngư dân", True),
        ("Hai đối tượng", True),
        ("1,5kg", True),
        ("tham dự", False),
        ("xuồng tham gia", False),
        ("hàng chục vụ", False),  # vague: never a span
    ],
)
def test_has_numeral_finds_digits_and_number_words(text, expected):
    assert has_numeral(text) is expected
