"""Division codes from python-stdnum: levels, parents, names, years."""

from shebao.registry.divisions import all_divisions, full_name, level_of, parent_code


def test_levels_follow_the_code_shape():
    assert [level_of(c) for c in ("000000", "110000", "110100", "110105", "110105001")] == [0, 1, 2, 3, 4]


def test_parents():
    assert parent_code("110105001") == "110105"
    assert parent_code("110105") == "110100"
    assert parent_code("110100") == "110000"
    assert parent_code("110000") == "000000"
    assert parent_code("000000") is None


def test_a_county_directly_under_a_province_hangs_from_the_grouping_entry_or_the_province():
    divisions = all_divisions()
    for code, division in divisions.items():
        if division.level == 3:
            assert parent_code(code) in divisions


def test_abolished_codes_stay_known_with_their_years():
    chongwen = all_divisions()["110103"]
    assert chongwen.name == "崇文区" and chongwen.last_year == 2010
    assert all_divisions()["500000"].first_year == 1997


def test_full_names_skip_grouping_entries():
    assert full_name("110105") == "北京市朝阳区"
    assert "直辖" not in full_name("429004")
