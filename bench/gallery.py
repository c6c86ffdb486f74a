"""Seeded synthetic galleries and mated queries for pipeline benchmarks.

Names come from the cross-script pairs in ``../shared/data/xscript-names`` (read at
run time, never copied): a gallery record holds a person's Latin spelling, and a
mated query names the same person the way a case would — in the native script, in
another romanisation, with the order swapped, or with a typo — with the date of birth
exact, year-only, day/month swapped, a year off, or missing, and sometimes a document.
Every record has an ``external_id``; a query knows the ``external_id`` it should find.

    python bench/gallery.py --n 1000 --seed 7 > gallery.ndjson
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "xscript-names"

NATIONALITIES = {
    "arabic": ["SYR", "IRQ", "EGY", "MAR", "DZA", "SDN", "LBY", "TUN", "JOR", "YEM"],
    "chinese": ["CHN", "TWN", "HKG", "SGP"],
    "hebrew": ["ISR"],
    "japanese": ["JPN"],
    "katakana": ["JPN", "BRA", "PER"],
    "korean": ["KOR", "PRK"],
    "russian": ["RUS", "UKR", "BLR", "KAZ", "UZB", "KGZ"],
}
FAMILY_FIRST = {"chinese", "japanese", "korean"}


@dataclass(frozen=True, slots=True)
class Token:
    latin: str
    native: str


def load_tokens(data: Path, split: str = "train") -> dict[str, list[Token]]:
    """Name tokens per script: the Latin spelling and the native one."""
    tokens: dict[str, list[Token]] = {}
    for script in NATIONALITIES:
        path = data / f"{script}.{split}.tsv"
        seen: set[str] = set()
        found: list[Token] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or parts[0] in seen or len(parts[0]) < 2:
                continue
            seen.add(parts[0])
            found.append(Token(parts[0], parts[1].replace(" ", "")))
        tokens[script] = found
    return tokens


@dataclass(frozen=True, slots=True)
class Person:
    external_id: str
    script: str
    given: Token
    family: Token
    birth: tuple[int, int, int]
    sex: str
    nationality: str
    passport: str | None

    def record(self) -> dict[str, Any]:
        """The gallery record: Latin spelling, given name first."""
        given, family = self.given.latin.title(), self.family.latin.title()
        y, m, d = self.birth
        record: dict[str, Any] = {
            "external_id": self.external_id,
            "names": [{"full": f"{given} {family}", "given": given, "family": family}],
            "birth_date": f"{y:04d}-{m:02d}-{d:02d}",
            "sex": self.sex,
            "nationality": [self.nationality],
        }
        if self.passport:
            record["documents"] = [
                {"type": "passport", "number": self.passport, "issuer": self.nationality}
            ]
        return record


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    choice = rng.random()
    if choice < 0.4:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if choice < 0.7:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice("aeiou") + text[i + 1 :]


def query_for(rng: random.Random, person: Person) -> dict[str, Any]:
    """How a case might name the same person."""
    style = rng.random()
    if style < 0.6:
        native = (
            f"{person.family.native} {person.given.native}"
            if person.script in FAMILY_FIRST
            else f"{person.given.native} {person.family.native}"
        )
        names: list[Any] = [native]
    elif style < 0.8:
        names = [f"{person.family.latin.upper()} {person.given.latin.upper()}"]
    else:
        names = [f"{_typo(rng, person.given.latin).title()} {person.family.latin.title()}"]
    query: dict[str, Any] = {"names": names, "sex": person.sex}
    y, m, d = person.birth
    date_style = rng.random()
    if date_style < 0.6:
        query["birth_date"] = f"{y:04d}-{m:02d}-{d:02d}"
    elif date_style < 0.75:
        query["birth_date"] = f"{y:04d}"
    elif date_style < 0.8 and d <= 12:
        query["birth_date"] = f"{y:04d}-{d:02d}-{m:02d}"
    elif date_style < 0.9:
        query["birth_date"] = f"{y + rng.choice((-1, 1)):04d}-{m:02d}-{d:02d}"
    if rng.random() < 0.7:
        query["nationality"] = [person.nationality]
    if person.passport and rng.random() < 0.2:
        query["documents"] = [{"type": "passport", "number": person.passport}]
    return query


def people(tokens: dict[str, list[Token]], n: int, seed: int) -> Iterator[Person]:
    """``n`` distinct synthetic people, reproducible from ``seed``."""
    rng = random.Random(seed)
    scripts = sorted(tokens)
    for number in range(n):
        script = scripts[number % len(scripts)]
        pool = tokens[script]
        y = rng.randint(1950, 2006)
        m = rng.randint(1, 12)
        d = rng.randint(1, 28)
        yield Person(
            external_id=f"SYN-{seed}-{number:07d}",
            script=script,
            given=rng.choice(pool),
            family=rng.choice(pool),
            birth=(y, m, d),
            sex=rng.choice("MF"),
            nationality=rng.choice(NATIONALITIES[script]),
            passport=(
                f"{rng.choice('ABCEGKLNP')}{rng.randint(10_000_000, 99_999_999)}"
                if rng.random() < 0.5
                else None
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--queries",
        type=int,
        default=0,
        help="print this many mated queries instead of the gallery",
    )
    args = parser.parse_args()
    tokens = load_tokens(args.data)
    everyone = list(people(tokens, args.n, args.seed))
    if args.queries:
        rng = random.Random(args.seed + 1)
        for person in rng.sample(everyone, args.queries):
            print(
                json.dumps(
                    {"expect": person.external_id, "query": query_for(rng, person)},
                    ensure_ascii=False,
                )
            )
        return
    for person in everyone:
        sys.stdout.write(json.dumps(person.record(), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
