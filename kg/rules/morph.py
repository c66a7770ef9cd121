"""Indonesian verb morphology for lexicons: one stem, its me-/di-/pe-an/ber-/ter- forms.

A lexicon form written `~kirim` stands for the family of the stem "kirim": kirim, mengirim,
dikirim, mengirimkan, dikirimkan, mengirimi, dikirimi, pengiriman, terkirim, berkirim.
The nasal prefix follows the usual sound rules (p -> m, t -> n, k -> ng, s -> ny; b -> mem,
d/c/j -> men, vowels, g, h -> meng). Over-generation is harmless: a form that is not a
word never occurs in text.
"""

from __future__ import annotations


def _nasal(stem: str, prefix: str) -> str:
    """meN-/peN- + stem with the initial sound rules (prefix is "me" or "pe")."""
    first, rest = stem[0], stem[1:]
    if first == "p":
        return prefix + "m" + rest
    if first == "t":
        return prefix + "n" + rest
    if first == "k":
        return prefix + "ng" + rest
    if first == "s":
        return prefix + "ny" + rest
    if first in "bf":
        return prefix + "m" + stem
    if first in "dcjz":
        return prefix + "n" + stem
    if first in "aeiough":
        return prefix + "ng" + stem
    return prefix + stem  # l, r, m, n, w, y


def family(stem: str) -> list[str]:
    """Every affixed form of an Indonesian stem (several words keep their spaces).

    >>> family("kirim")[:6]
    ['kirim', 'mengirim', 'dikirim', 'mengirimkan', 'dikirimkan', 'mengirimi']
    >>> "penandatanganan" in family("tanda tangan") and "menandatangani" in family("tanda tangan")
    True
    >>> "pembelian" in family("beli") and "memasok" in family("pasok")
    True
    """
    s = stem.strip().lower()
    joined = s.replace(" ", "")  # "tanda tangan" -> menandatangani, penandatanganan
    forms = [s]
    for base in dict.fromkeys((s, joined)):
        me, pe = _nasal(base, "me"), _nasal(base, "pe")
        forms += [
            me, "di" + base, me + "kan", "di" + base + "kan", me + "i", "di" + base + "i",
            pe + "an", base + "an", base + "kan", "ter" + base, "ber" + base, "memper" + base, "diper" + base,
        ]
    return list(dict.fromkeys(f for f in forms if f))
