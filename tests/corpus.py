"""A generated corpus of identifications whose right answer is known by construction.

``people`` distinct people (a share without NHS numbers) are reported one to four times
each by GPs, hospitals, schools and the council, with the variations real systems produce
(case, stray spaces, postcode spacing, a number given one time and not another), plus exact
redeliveries and invalid messages. Every person has distinct demographics, so the registry
must end with exactly ``people`` records and exactly ``len(invalid)`` dead letters.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.common import nhs_numbers
from shared.events import CloudEvent

GIVEN = [
    "Siân",
    "Zoë",
    "Aoife",
    "Priya",
    "Mohammed",
    "Chidi",
    "Jan",
    "Renée",
    "Łukasz",
    "Amit",
    "Grace",
    "Tomás",
    "Fatima",
    "Olu",
    "Niamh",
    "Kwame",
    "Ana",
    "Dáithí",
]
FAMILY = [
    "O'Connor-Smith",
    "Nuñez",
    "Patel",
    "Okafor",
    "MacLeod",
    "Kowalski",
    "Begum",
    "D'Souza",
    "Brown",
    "Ní Bhriain",
    "Abara",
    "Singh-Jones",
    "Evans",
    "Çelik",
]
POSTCODES = ["LE1 6ZG", "LE2 0PB", "LE11 3TU", "LE67 4AA", "LE10 1XN", "LE12 9AB", "LE65 1HU"]
REPORTERS = [
    ("gp", "C82001"),
    ("gp", "C82010"),
    ("hospital", "RWE"),
    ("school", "LE-SCH-12"),
    ("council", "LCC"),
    ("vasl", "VASL"),
]


@dataclass
class Corpus:
    people: int
    messages: list[tuple[bytes, bytes]] = field(default_factory=list)  # (key, value)
    invalid: int = 0
    redeliveries: int = 0


def _vary(name: str, rng: random.Random) -> str:
    return rng.choice([name, name.upper(), name.lower(), f"  {name} ", name.title()])


def _vary_postcode(postcode: str, rng: random.Random) -> str:
    return rng.choice([postcode, postcode.replace(" ", ""), postcode.lower(), f" {postcode}"])


def build(people: int = 800, reports: int = 2000, seed: int = 2026) -> Corpus:
    rng = random.Random(seed)
    numbers = nhs_numbers(people, seed=seed)
    corpus = Corpus(people)
    today = date(2026, 11, 1)
    persons = []
    for index in range(people):
        young = index % 7 == 0
        born = today - timedelta(
            days=rng.randrange(9, 17) * 365 if young else rng.randrange(19, 85) * 365
        )
        persons.append(
            {
                "nhs_number": numbers[index] if index % 4 else None,  # a quarter have none
                "given_name": f"{rng.choice(GIVEN)}{index}",
                "family_name": rng.choice(FAMILY),
                "date_of_birth": born.isoformat(),
                "postcode": rng.choice(POSTCODES),
                "email": f"carer{index}@example.org",
            }
        )
    counts = [1] * people
    for _ in range(reports - people):
        counts[rng.randrange(people)] += 1
    valid: list[tuple[bytes, bytes]] = []
    for index, person in enumerate(persons):
        for _ in range(counts[index]):
            kind, org = rng.choice(REPORTERS)
            given = dict(person)
            if given["nhs_number"] and rng.random() < 0.2:
                given["nhs_number"] = None  # this reporter did not know the number
            given["given_name"] = _vary(str(person["given_name"]), rng)
            given["family_name"] = _vary(str(person["family_name"]), rng)
            given["postcode"] = _vary_postcode(str(person["postcode"]), rng)
            data = {
                "identified_by": {"kind": kind, "org_code": org},
                "person": {k: v for k, v in given.items() if v is not None},
                "caring_for": [
                    {
                        "relationship": rng.choice(["parent", "child", "friend"]),
                        "needs": [rng.choice(["dementia", "mental_health", "frailty"])],
                    }
                ],
                "consent": {
                    "share_with": rng.sample(["gp", "council", "vasl"], 2),
                    "contact": True,
                },
            }
            key = given["nhs_number"] or f"{org}-{index}-{rng.randrange(10**6)}"
            event = CloudEvent.new("carer.identified", f"ods:{org}", given["nhs_number"], data)
            valid.append((key.encode(), event.to_bytes()))
    rng.shuffle(valid)
    redelivered = rng.sample(valid, 100)
    invalid = _invalid(persons, rng)
    corpus.messages = valid + redelivered + invalid
    rng.shuffle(corpus.messages)
    corpus.invalid, corpus.redeliveries = len(invalid), len(redelivered)
    return corpus


def _invalid(persons: list[dict], rng: random.Random) -> list[tuple[bytes, bytes]]:
    """Fifty messages that must each become exactly one dead letter."""
    out: list[tuple[bytes, bytes]] = []
    breakers = [
        lambda p: p.update(nhs_number="9434765918"),  # fails Modulus 11
        lambda p: p.update(date_of_birth="2999-01-01"),  # in the future
        lambda p: p.update(postcode="NOT A POSTCODE"),
        lambda p: (p.pop("nhs_number", None), p.pop("postcode")),  # no number, no postcode
        lambda p: p.update(mobile="01162323232"),  # a landline as a mobile
    ]
    for index in range(45):
        person = dict(rng.choice(persons))
        person = {k: v for k, v in person.items() if v is not None}
        breakers[index % len(breakers)](person)
        data = {
            "identified_by": {"kind": "gp", "org_code": "C82001"},
            "person": person,
            "caring_for": [{"relationship": "parent", "needs": ["dementia"]}],
        }
        event = CloudEvent.new("carer.identified", "ods:C82001", None, data)
        out.append((b"bad-%d" % index, event.to_bytes()))
    out.append((b"bad-json", b"{not json"))
    out.append(
        (
            b"bad-type",
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "x",
                    "source": "s",
                    "type": "carer.unknown",
                    "time": "2026-01-01T00:00:00Z",
                    "data": {},
                }
            ).encode(),
        )
    )
    out.append((b"bad-envelope", b'{"specversion": "1.0"}'))
    out.append((b"bad-array", b"[1, 2, 3]"))
    out.append((b"bad-utf8", b"\xff\xfe\x00"))
    return out
