"""Reading articles: decoding, front matter, boilerplate, comment sections, sentences, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from kg.documents import COMMENT, Cleaning, assign_slugs, find_articles, read_document, split_sentences
from kg.errors import DocumentError, InputError


def read(tmp_path, pack, content: bytes | str, name="a.md"):
    p = tmp_path / name
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_document(p, pack.cleaning)


def test_front_matter_is_metadata_and_offsets_stay_exact(tmp_path, pack):
    doc = read(tmp_path, pack, "---\ntitle: Uji\ndate: 2024-05-01\nlanguage: id\n---\nRusia meneken kontrak. India membeli S-400.\n")
    assert doc.meta == {"title": "Uji", "date": "2024-05-01", "language": "id"}
    # the headline is article text too: it comes first, with its offsets inside the front matter
    assert [s.text for s in doc.sentences] == ["Uji", "Rusia meneken kontrak.", "India membeli S-400."]
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text


def test_boilerplate_dropped_and_comments_kept_apart(tmp_path, pack):
    doc = read(tmp_path, pack, (
        "Rusia menawarkan Su-35.\n"
        "BACA JUGA: Berita lain yang tidak relevan\n"
        "Foto: Dokumentasi redaksi\n"
        "India membeli S-400.\n"
        "3 Replies to “Judul”\n"
        "Semoga kita beli Su-35.\n"
        "Leave a Reply\n"
        "Your email address will not be published.\n"
    ))
    assert [(s.text, s.section) for s in doc.sentences] == [
        ("Rusia menawarkan Su-35.", "body"),
        ("India membeli S-400.", "body"),
        ("Semoga kita beli Su-35.", COMMENT),
    ]


def test_windows_line_endings_bom_and_cp1252(tmp_path, pack):
    doc = read(tmp_path, pack, b"\xef\xbb\xbfRusia meneken kontrak.\r\nIndia membeli S-400.\r\n")
    assert [s.text for s in doc.sentences] == ["Rusia meneken kontrak.", "India membeli S-400."]
    doc = read(tmp_path, pack, "Caf\u00e9 \u201cRusia\u201d meneken kontrak.".encode("cp1252"), "b.txt")
    assert doc.sentences[0].text == "Caf\u00e9 \u201cRusia\u201d meneken kontrak."


@pytest.mark.parametrize("content,reason", [(b"", "empty"), (b"  \n\n", "empty"), (b"abc\x00def", "binary")])
def test_unreadable_articles_raise_document_error(tmp_path, pack, content, reason):
    with pytest.raises(DocumentError, match=reason):
        read(tmp_path, pack, content)


def test_bad_front_matter_names_the_line(tmp_path, pack):
    with pytest.raises(DocumentError, match=r"bad YAML front matter \(line [34]\)"):
        read(tmp_path, pack, "---\ntitle: ok\nbad: [unclosed\n---\nText.\n")


def test_missing_path_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        find_articles([tmp_path / "nope"])


def test_find_articles_expands_folders_sorted_and_slugs_are_unique(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/x.md", "a.txt", "x.txt", "notes.csv"):
        (tmp_path / name).write_text("Teks.", encoding="utf-8")
    files = find_articles([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.txt", "b/x.md", "x.txt"]
    assert sorted(assign_slugs(files).values()) == ["a", "x", "x-2"]


def test_sentence_split_keeps_abbreviations_and_decimals(pack):
    text = "Dr. Ivanov tiba. Nilainya 12,7 miliar peso. Kontrak No. 5 diteken."
    assert [s.text for s in split_sentences(text, 0, pack.cleaning)] == [
        "Dr. Ivanov tiba.", "Nilainya 12,7 miliar peso.", "Kontrak No. 5 diteken."]


def test_continuation_line_joins_a_broken_sentence(pack):
    text = "Industri itu mendapat tekanan serius\nKhususnya dalam ekspor.\nJudul Tanpa Titik\nBaris baru."
    got = [s.text for s in split_sentences(text, 0, pack.cleaning)]
    assert got == ["Industri itu mendapat tekanan serius\nKhususnya dalam ekspor.", "Judul Tanpa Titik", "Baris baru."]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_sentences_are_exact_slices_of_any_text(text):
    for s in split_sentences(text, 0, Cleaning()):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() or s.text.startswith(("#",)) is False


PAGE = """<html><head><title>Rusia dan India</title>
<meta property="article:published_time" content="2023-10-19"><link rel="canonical" href="https://example.org/a"></head>
<body><nav>Beranda | Berita | Pertahanan</nav><article><h1>Rusia dan India teken kontrak</h1>
<p>Rosoboronexport menandatangani kontrak dengan HAL untuk produksi berlisensi Su-30MKI di India pada tahun 2000.
Kerja sama kedua negara sudah berjalan lebih dari dua dekade dan terus diperluas.</p>
<script>window.__pwned = 1</script>
<p>Paragraf kedua menjelaskan bahwa jalur perakitan di Nashik masih terus berproduksi sampai hari ini.</p></article>
<div id="comments"><h3>2 Replies</h3><div class="comment"><p>Semoga kita beli Su-35 secepatnya, TNI AU butuh pesawat baru.</p></div></div>
<footer>Hak cipta dilindungi undang-undang</footer></body></html>"""


def test_html_page_main_text_metadata_and_comments(tmp_path, pack):
    doc = read(tmp_path, pack, PAGE, "page.html")
    assert doc.meta["title"] == "Rusia dan India teken kontrak"
    assert doc.meta["date"] == "2023-10-19" and doc.meta["url"] == "https://example.org/a"
    body = [s.text for s in doc.sentences if s.section == "body"]
    comments = [s.text for s in doc.sentences if s.section == COMMENT]
    assert any("Rosoboronexport menandatangani kontrak" in t for t in body)
    assert not any("__pwned" in s.text or "Beranda" in s.text for s in doc.sentences)
    assert comments and "Semoga kita beli Su-35" in comments[-1]
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text


def test_html_without_text_is_skipped(tmp_path, pack):
    with pytest.raises(DocumentError, match="no article text"):
        read(tmp_path, pack, "<html><body><script>x()</script></body></html>", "empty.html")
