"""Dates, numbers and percentages: surface kept, value normalised, implausible values rejected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from kg.rules.gazetteer import Entity, Gazetteer
from kg.rules.text import fold


def values(pack, text):
    return [(v.kind, v.lexical, v.datatype, " ".join(filter(None, (v.modifier, v.period))) or None) for v in pack.values.find(text)]


@pytest.mark.parametrize("text,expected", [
    ("disahkan pada 2 Agustus 2017.", ("Date", "2017-08-02", "date", None)),
    ("signed on August 2, 2017.", ("Date", "2017-08-02", "date", None)),
    ("siaran pers (19/10/2023) menyebut", ("Date", "2023-10-19", "date", None)),
    ("pada Febrruari 2022.", ("Date", "2022-02", "gYearMonth", None)),
    ("in March 2021", ("Date", "2021-03", "gYearMonth", None)),
    ("sebelum akhir tahun 2026.", ("Date", "2026", "gYear", "before end of")),
    ("by the end of 2025", ("Date", "2025", "gYear", "by end of")),
    ("pada tahun 2030", ("Date", "2030", "gYear", None)),
    ("hingga tahun 2030", ("Date", "2030", "gYear", "until")),
    ("paling lambat akhir tahun 2026", ("Date", "2026", "gYear", "by end of")),
    ("since the beginning of 2023", ("Date", "2023", "gYear", "since start of")),
    ("dengan delapan negara", ("Number", "8", "integer", None)),
    ("dua belas unit", ("Number", "12", "integer", None)),
    ("twenty-four jets", ("Number", "24", "integer", None)),
    ("kontrak 1.000 unit", ("Number", "1000", "integer", None)),
    ("40 persen dari pasar", ("Percent", "40", "decimal", None)),
    ("35% of the market", ("Percent", "35", "decimal", None)),
])
def test_value_forms(pack, text, expected):
    assert expected in values(pack, text)


@pytest.mark.parametrize("text", ["31/02/2020", "123456", "tahun 1650", "Su-57", "Mi-17V5"])
def test_implausible_values_are_not_dates(pack, text):
    assert not [v for v in values(pack, text) if v[0] == "Date"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_value_recogniser_never_crashes_and_offsets_are_exact(pack, text):
    for v in pack.values.find(text):
        assert text[v.start : v.end] == v.surface
        if v.kind == "Date":
            assert 1900 <= int(v.lexical[:4]) <= 2100


def test_fold_keeps_length():
    s = "Ünïcödé – “quotes” ’s ß İ"
    assert len(fold(s)) == len(s)


def test_gazetteer_case_and_boundaries():
    g = Gazetteer([
        Entity("US", "Country", {"en": "United States"}, ("AS", "Amerika Serikat")),
        Entity("Su-57", "WeaponSystem", {"en": "Su-57"}, ()),
        Entity("UAC", "Company", {"en": "United Aircraft Corporation"}, ("UAC",)),
        Entity("Su-30", "WeaponSystem", {"en": "Su-30"}, ()),
    ])
    found = lambda t: [(m.entity.id, m.surface) for m in g.find(t)]  # noqa: E731
    assert found("Presiden AS dan as roda") == [("US", "AS")]
    assert found("Su-57UAC") == [("Su-57", "Su-57"), ("UAC", "UAC")]
    assert found("Su-30MKI terbang") == []  # a longer name that is not in the gazetteer
    assert found("AMERIKA SERIKAT") == [("US", "AMERIKA SERIKAT")]
