"""Seeded generator of benchmark articles and of synthetic gazetteers (run by hand).

Articles mix sentences the default rules match (contracts, licences, deliveries, sanctions,
positions, MTC counts, reported speech) with noise sentences, in Indonesian and English, with
names taken from the shipped gazetteer. The same seed and size give the same files.

    python benchmarks/make_corpus.py corpus --mb 10 [--seed 1]
    python benchmarks/make_corpus.py gazetteer --aliases 50000 --out /tmp/pack50k

A synthetic gazetteer is a copy of the default pack with extra companies appended (a file
`zz_synthetic.yaml`), so the pack holds about the number of folded aliases asked for.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PACK = ROOT / "kg" / "rules" / "default"


def _gazetteer() -> dict[str, list[str]]:
    """class -> surface names (labels and aliases) of the shipped gazetteer."""
    data = yaml.safe_load((DEFAULT_PACK / "gazetteer.yaml").read_text(encoding="utf-8"))
    by_class: dict[str, list[str]] = {}
    for e in data["entities"]:
        names = [*dict.fromkeys([*(e.get("labels") or {}).values(), *(e.get("aliases") or [])])]
        names = [n for n in names if len(n) > 2 or n.isupper()]
        by_class.setdefault(e["class"], []).append(names)
    return by_class


BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
ANGKA = ["dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "dua belas"]
NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve"]

# Fact sentences: {C} country, {K} company, {W} weapon system, {P} person, {G} government body,
# {Y} year, {D} full date, {N} number word, {Q} quantity in digits.
FACTS_ID = [
    "{C} menandatangani kontrak dengan {K} untuk pembelian {Q} unit {W} pada {D}.",
    "{K} memproduksi {W} di bawah lisensi dari {K2}.",
    "{C} telah menandatangani dokumen kerja sama militer-teknis dengan {N} negara.",
    "Menteri Pertahanan {C}, {P}, tiba di {C2} pada {D}.",
    "{C} menjatuhkan sanksi terhadap {C2} pada {BY}.",
    "{C} mengancam {C2} dengan sanksi jika tetap membeli {W}.",
    "{K} menyerahkan {Q} unit {W} kepada {G} pada tahun {Y}.",
    "{C} membatalkan pembelian {W} dari {C2} pada {BY}.",
    "\"Kontrak itu sudah diteken,\" ujar {P} kepada wartawan.",
    "Menurut {P}, {C} kemungkinan akan membeli {W} sebelum akhir tahun {Y}.",
    "{K} dan {K2} sepakat memperpanjang lisensi produksi {W} hingga {Y}.",
    "{C} memesan {Q} unit {W} dari {K} senilai 1,2 miliar dolar.",
]
FACTS_EN = [
    "{C} signed a contract with {K} for {Q} {W} on {DE}.",
    "In {Y} {K} signed a contract with {K2} for the licensed production of {W} in {C}.",
    "{C} has signed military-technical cooperation agreements with {NE} countries since {Y}.",
    "The United States threatened sanctions against {C} over the {W} deal.",
    "{C} imposed sanctions on {C2} in {BE}.",
    "{K} delivered {Q} {W} to {G} in {Y}.",
    "\"We will double the share,\" said {P}.",
    "According to {K}, the deal was signed in {BE}.",
    "{C} ordered {Q} {W} from {K} in {Y}.",
    "{C} likely plans to buy {W} by {Y}.",
]
NOISE_ID = [
    "Cuaca di {CITY} pada hari itu cerah dan banyak warga berjalan-jalan di taman kota.",
    "Pameran tersebut dihadiri ribuan pengunjung dari berbagai daerah selama {N} hari.",
    "Harga bahan pokok di pasar tradisional naik sekitar {PCT} persen dibanding bulan lalu.",
    "Para pengamat menilai situasi kawasan masih dinamis dan perlu dicermati bersama.",
    "Acara dibuka dengan sambutan panitia dan pertunjukan musik tradisional.",
    "Sejumlah wartawan menunggu di depan gedung sejak pagi hari.",
    "Diskusi berlangsung hangat dan para peserta mengajukan banyak pertanyaan.",
    "Jalan menuju lokasi sempat macet karena perbaikan jembatan di {CITY}.",
    "{P} tiba di {CITY} dengan pesawat komersial pada {D}.",
    "Delegasi {C} dan {C2} membahas isu perdagangan dan pariwisata.",
]
NOISE_EN = [
    "The weather in {CITY} was mild and the streets were busy with weekend shoppers.",
    "Analysts said the regional situation remained fluid and hard to predict.",
    "The exhibition drew thousands of visitors over {NE} days.",
    "Officials from {C} and {C2} also discussed trade and tourism.",
    "Prices at local markets rose by about {PCT} percent from the previous month.",
    "The meeting ended late in the evening without a joint press conference.",
    "Several reporters waited outside the building from early morning.",
    "{P} arrived in {CITY} on a commercial flight.",
]
CITIES = ["Jakarta", "Surabaya", "Bandung", "Makassar", "Medan", "Semarang", "Denpasar", "Balikpapan"]
BOILER = ["BACA JUGA: Berita terkait lainnya", "Foto: Dokumentasi redaksi"]


class Writer:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.g = _gazetteer()

    def name(self, cls: str) -> str:
        return self.r.choice(self.r.choice(self.g[cls]))

    def fill(self, template: str) -> str:
        r = self.r
        y = r.randint(1995, 2030)
        vals = {
            "C": self.name("Country"), "C2": self.name("Country"), "K": self.name("Company"), "K2": self.name("Company"),
            "W": self.name("WeaponSystem"), "P": self.name("Person"), "G": self.name("GovernmentBody"),
            "Y": str(y), "D": f"{r.randint(1, 28)} {r.choice(BULAN)} {y}", "DE": f"{r.choice(MONTHS)} {r.randint(1, 28)}, {y}",
            "BY": f"{r.choice(BULAN)} {y}", "BE": f"{r.choice(MONTHS)} {y}", "N": r.choice(ANGKA), "NE": r.choice(NUMBERS),
            "Q": str(r.randint(2, 60)), "PCT": str(r.randint(2, 40)), "CITY": r.choice(CITIES),
        }
        return template.format(**vals)

    def article(self, i: int) -> tuple[str, str]:
        r = self.r
        lang = "id" if r.random() < 0.7 else "en"
        facts, noise = (FACTS_ID, NOISE_ID) if lang == "id" else (FACTS_EN, NOISE_EN)
        paras = []
        for _ in range(r.randint(4, 12)):
            sents = [self.fill(r.choice(facts) if r.random() < 0.3 else r.choice(noise)) for _ in range(r.randint(2, 5))]
            paras.append(" ".join(sents))
            if r.random() < 0.1:
                paras.append(r.choice(BOILER))
        body = "\n\n".join(paras) + "\n"
        if r.random() < 0.5:
            title = self.fill(r.choice(facts)).rstrip(".")
            head = f"---\ntitle: {title!r}\ndate: {r.randint(2000, 2025)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}\nlanguage: {lang}\npublisher: Bench News\n---\n"
            return f"a{i:07d}-{lang}.md", head + body
        return f"a{i:07d}-{lang}.txt", body


def make_corpus(out: Path, mb: float, seed: int = 1, per_folder: int = 1000) -> tuple[int, int]:
    """Write about `mb` megabytes of articles into `out` (cleared first); (files, bytes)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    w = Writer(seed)
    total, i, target = 0, 0, int(mb * 1_000_000)
    while total < target:
        name, text = w.article(i)
        folder = out / f"{i // per_folder:04d}"
        folder.mkdir(exist_ok=True)
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        total += len(data)
        i += 1
    return i, total


def _pseudo_word(r: random.Random) -> str:
    syl = ["ka", "ro", "vek", "tal", "mir", "zon", "dra", "pel", "qui", "sto", "bar", "nex", "lum", "tor", "gav", "shi"]
    return "".join(r.choice(syl) for _ in range(r.randint(2, 4))).capitalize()


def make_gazetteer_pack(out: Path, aliases: int, seed: int = 7) -> Path:
    """A copy of the default pack with synthetic companies added until the pack holds about
    `aliases` labels and aliases (the default pack holds about 550)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(DEFAULT_PACK, out, ignore=shutil.ignore_patterns("__pycache__"))
    r = random.Random(seed)
    from kg.rules import load_pack

    have = load_pack(out).gazetteer.size
    entities, seen, n = [], set(), 0
    while have + n < aliases:
        base = f"{_pseudo_word(r)} {_pseudo_word(r)}"
        if base.lower() in seen:
            continue
        seen.add(base.lower())
        names = [base, base + " Group", base + " Systems", base.replace(" ", "-")]
        names = [x for x in names if x.lower() not in seen or x == base]
        seen.update(x.lower() for x in names)
        entities.append({"id": f"Syn{len(entities):06d}", "class": "Company",
                         "labels": {"en": base, "id": base}, "aliases": names[1:]})
        n += len(names)
    (out / "zz_synthetic.yaml").write_text(yaml.safe_dump({"entities": entities}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus", help="write N MB of articles")
    c.add_argument("out", type=Path)
    c.add_argument("--mb", type=float, default=10)
    c.add_argument("--seed", type=int, default=1)
    g = sub.add_parser("gazetteer", help="a copy of the default pack with N aliases")
    g.add_argument("--aliases", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if a.cmd == "corpus":
        files, size = make_corpus(a.out, a.mb, a.seed)
        print(f"{files} articles, {size / 1e6:.1f} MB in {a.out}")
    else:
        make_gazetteer_pack(a.out, a.aliases)
        from kg.rules import load_pack

        print(f"{a.out}: {load_pack(a.out).gazetteer.size} aliases")


if __name__ == "__main__":
    main()
