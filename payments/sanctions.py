"""Sanctions screening (docs/rules.md §2 Payees and payments): loading a list in the OFAC SDN
CSV format and matching a person's or company's names against the list in force.

Names match whatever their case, accents, punctuation and word order: each name becomes its
set of words, folded ("Müller, JOSÉ" and "jose muller" are one key). A listed name matches a
screened name when all its words are among the screened name's (a middle name on our side
does not hide a match); a listed name of a single word must match the whole name, or every
"Ali" would be held. With no list loaded, screening is recorded as "no list", which counts as
clean.
"""

import csv
import hashlib
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from payments.models import SanctionsList, SanctionsName, Verification

MAX_WORDS = 8  # more words than this in a screened name: its first eight are screened
_WORD = re.compile(r"[^\W_]+")


def name_words(name: str) -> tuple[str, ...]:
    """A name's words, folded (no case, no accents), sorted and without repeats."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return tuple(sorted(set(_WORD.findall(plain))))


def name_key(name: str) -> str:
    return " ".join(name_words(name))


def _candidate_keys(names: Iterable[str]) -> set[str]:
    """Every key a listed name could have to match one of `names`: the whole name, and each
    combination of two or more of its words."""
    keys: set[str] = set()
    for name in names:
        words = name_words(name)[:MAX_WORDS]
        if not words:
            continue
        keys.add(" ".join(words))
        for size in range(2, len(words)):
            keys.update(" ".join(combo) for combo in itertools.combinations(words, size))
    return keys


@dataclass(frozen=True)
class Screening:
    result: str  # a Verification.Screening value
    list_version: str
    match: str


def screen(names: Iterable[str]) -> Screening:
    """Screen names against the list in force."""
    current = SanctionsList.objects.first()
    if current is None:
        return Screening(Verification.Screening.NO_LIST, "", "")
    keys = _candidate_keys(names)
    hit = SanctionsName.objects.filter(sanctions_list=current, key__in=sorted(keys)).order_by("id").first()
    if hit is None:
        return Screening(Verification.Screening.CLEAN, current.version, "")
    return Screening(Verification.Screening.HIT, current.version, hit.name[:300])


def screening_apply(verification: Verification, *, names: Iterable[str]) -> None:
    """Record a screening of `names` on the verification (not saved)."""
    result = screen(names)
    verification.screening, verification.screening_list = result.result, result.list_version
    verification.screening_match, verification.screened_at = result.match, timezone.now()


class SanctionsFileError(ValueError):
    pass


def sdn_names(text: str) -> Iterator[tuple[str, str]]:
    """(entry number, name) of every entry of an SDN list (sdn.csv: ent_num, SDN_Name, ...) or
    alias list (alt.csv: ent_num, alt_num, alt_type, alt_name, remarks). Rows that are not
    entries (a blank line, the end-of-file mark) are skipped."""
    rows = list(csv.reader(io.StringIO(text)))
    entries = [row for row in rows if row and row[0].strip().isascii() and row[0].strip().isdigit()]
    if not entries:
        raise SanctionsFileError("No entries: expected the OFAC SDN CSV format (ent_num,SDN_Name,...).")
    for row in entries:
        if len(row) >= 12:  # sdn.csv
            name = row[1]
        elif len(row) == 5:  # alt.csv
            name = row[3]
        else:
            raise SanctionsFileError(
                f"Entry {row[0].strip()} has {len(row)} columns: sdn.csv has 12, alt.csv has 5."
            )
        name = name.strip()
        if name and name != "-0-":
            yield row[0].strip(), name


def sanctions_list_load(
    *, files: list[tuple[str, bytes]], version: str = "", loaded_by: str = ""
) -> SanctionsList:
    """Load a new list from (file name, content) pairs (an SDN file and optionally its alias
    file); it is in force from now on. All or nothing."""
    digest = hashlib.sha256()
    names: list[tuple[str, str]] = []
    for _source, content in files:
        digest.update(content)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("latin-1")  # the SDN files are Latin-1 when not UTF-8
        names.extend(sdn_names(text))
    label = version or f"{'+'.join(name for name, _ in files)} sha256:{digest.hexdigest()[:12]}"
    with transaction.atomic():
        loaded = SanctionsList.objects.create(
            version=label[:100], source=", ".join(n for n, _ in files)[:300], entries=len(names),
            loaded_by=loaded_by[:200],
        )  # fmt: skip
        SanctionsName.objects.bulk_create(
            (
                SanctionsName(sanctions_list=loaded, uid=uid[:20], name=name[:350], key=name_key(name)[:350])
                for uid, name in names
            ),
            batch_size=5000,
        )
    return loaded
