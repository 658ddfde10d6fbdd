"""After the faults: wait until the chain has settled, then count every effect (Jepsen-style).

The checker reads what the platform left behind, not what it says about itself: the three
service databases, every topic of the scenario from the beginning, and the messages the SMTP
sink and the Notify stub received. A repeated copy of an event (same ``(source, id)``) is at
least once delivery, which the inboxes absorb; a *duplicate* is a second effect: a second
carer record, a second ``carer.registered`` with another id, a second referral, a second
message to a carer for one referral. A *lost* effect is one the inputs call for that is
missing. Per-carer order: each carer's status snapshots carry versions 1, 2, 3 ... in
partition order, and ``carer.registered`` comes before any ``carer.updated``.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared import topics
from shared.messaging.deadletter import read_dead_letter
from tests.faults.cluster import Stack
from tests.faults.readback import HANDED_OVER, _events, provider_messages, read_all
from tests.faults.workload import EXPECTED_SERVICES, Carer, Outgoing

log = logging.getLogger(__name__)
VERDICTS: list[Verdict] = []  # every scenario's verdict this run, for the summary


@dataclass
class Tally:
    """One kind of effect: how many the inputs call for, found, lost and duplicated."""

    name: str
    expected: int
    found: int = 0
    lost: int = 0
    duplicated: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)

    def line(self) -> str:
        return f"{self.name} {self.found}/{self.expected} lost {self.lost} dup {self.duplicated}"


@dataclass
class Verdict:
    """Everything the checker found; ``ok`` only when nothing was lost or duplicated."""

    scenario: str
    sent: int
    processed: int
    tallies: list[Tally]
    order_violations: int
    order_examples: list[str]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    failure: str | None = None  # the scenario itself failed (timed out, ...), whatever counted

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tallies)

    @property
    def duplicated(self) -> int:
        return sum(t.duplicated for t in self.tallies)

    @property
    def ok(self) -> bool:
        return (
            self.failure is None
            and self.lost == 0
            and self.duplicated == 0
            and self.order_violations == 0
        )

    def headline(self) -> str:
        return (
            f"{self.scenario}: sent {self.sent}, processed {self.processed}, "
            f"lost {self.lost}, duplicated {self.duplicated}, "
            f"order violations {self.order_violations} ({self.seconds:.0f} s)"
        )

    def details(self) -> str:
        lines = [self.headline(), *("  " + t.line() for t in self.tallies), *self.notes]
        if self.failure:
            lines.append(f"FAILED: {self.failure}")
        for tally in self.tallies:
            lines += [f"  {tally.name}: {example}" for example in tally.examples]
        lines += [f"  order: {example}" for example in self.order_examples]
        return "\n".join(lines)


# -- the checker ----------------------------------------------------------------------------


async def verify(
    stack: Stack,
    scenario: str,
    carers: Sequence[Carer],
    sent: Sequence[Outgoing],
    *,
    poison: int = 0,
) -> Verdict:
    """Count every effect of the scenario; see the module docstring for the rules."""
    bootstrap = stack.infra.bootstrap
    by_nhs = {c.nhs_number: c for c in carers}
    tallies: list[Tally] = []
    order: list[str] = []

    # Inbound: every acknowledged event recorded in the registry's inbox.
    inbox = {
        (r["source"], r["event_id"])
        for r in await stack.query("registry", "SELECT source, event_id FROM inbox")
    }
    inbound = Tally("inbound events handled", len({(m.source, m.event_id) for m in sent}))
    for message in {(m.source, m.event_id): m for m in sent}.values():
        if (message.source, message.event_id) in inbox:
            inbound.found += 1
        else:
            inbound.lost += 1
            inbound.note(f"event {message.event_id} from {message.source} never handled")
    tallies.append(inbound)

    # Registry records: one per person, with both sources.
    rows = await stack.query(
        "registry", "SELECT carer_id, nhs_number, version, document FROM carers"
    )
    records = Tally("carer records", len(carers))
    per_nhs = Counter(r["nhs_number"] for r in rows)
    carer_of: dict[str, Carer] = {}
    db_version: dict[str, int] = {}
    for row in rows:
        carer = by_nhs.get(row["nhs_number"])
        if carer is None:
            records.duplicated += 1
            records.note(f"record {row['carer_id']} for nobody we sent")
            continue
        carer_of[row["carer_id"]] = carer
        db_version[row["carer_id"]] = row["version"]
        document = json.loads(row["document"])
        kinds = Counter(s["kind"] for s in document.get("sources", []))
        if kinds != Counter({"gp": 1, "hospital": 1}):
            records.lost += 1
            records.note(f"carer {row['carer_id']} has sources {dict(kinds)}")
    for carer in carers:
        n = per_nhs.get(carer.nhs_number, 0)
        records.found += min(n, 1)
        records.lost += n == 0
        records.duplicated += max(n - 1, 0)
    tallies.append(records)

    # carer.registered once per person, before any carer.updated for them.
    registry_events = _events(await read_all(bootstrap, stack.topic(topics.REGISTRY)))
    registered = Tally("carer.registered", len(carers))
    first_type: dict[str, str] = {}
    count_registered: Counter[str] = Counter()
    last_version: dict[str, int] = {}
    for _record, event in registry_events:
        carer_id = event["data"]["carer_id"]
        first_type.setdefault(carer_id, event["type"])
        if event["type"] == "carer.registered":
            count_registered[carer_id] += 1
        version = event["data"].get("version")
        if version is not None:
            if version <= last_version.get(carer_id, 0):
                order.append(
                    f"registry event v{version} after v{last_version[carer_id]} ({carer_id})"
                )
            last_version[carer_id] = version
    for carer_id in carer_of:
        n = count_registered.get(carer_id, 0)
        registered.found += min(n, 1)
        registered.lost += n == 0
        registered.duplicated += max(n - 1, 0)
        if n > 1:
            registered.note(f"{carer_id} registered {n} times")
        if first_type.get(carer_id) not in (None, "carer.registered"):
            order.append(f"{carer_id}: first registry event is {first_type[carer_id]}")
    tallies.append(registered)

    # Status snapshots: versions 1..N per carer in partition order, N the record's version.
    snapshots = Tally("status versions", sum(db_version.values()))
    versions: dict[str, list[int]] = defaultdict(list)
    for _record, event in _events(await read_all(bootstrap, stack.topic(topics.STATUS))):
        versions[event["data"]["carer_id"]].append(event["data"]["version"])
    for carer_id, final in db_version.items():
        seen = versions.get(carer_id, [])
        distinct = set(seen)
        snapshots.found += len(distinct & set(range(1, final + 1)))
        missing = set(range(1, final + 1)) - distinct
        snapshots.lost += len(missing)
        snapshots.duplicated += len(seen) - len(distinct)
        if missing or len(seen) != len(distinct):
            snapshots.note(f"{carer_id}: versions {seen}, record at v{final}")
        if any(b <= a for a, b in itertools.pairwise(seen)):
            order.append(f"{carer_id}: status versions out of order {seen}")

    tallies.append(snapshots)

    # Referrals: exactly the expected set, each announced once.
    referral_rows = await stack.query(
        "referrals", "SELECT referral_id, carer_id, service, status FROM referrals"
    )
    referrals = Tally("referrals", len(carers) * len(EXPECTED_SERVICES))
    have: Counter[tuple[str, str]] = Counter((r["carer_id"], r["service"]) for r in referral_rows)
    for carer_id in carer_of:
        for service in EXPECTED_SERVICES:
            n = have.get((carer_id, service), 0)
            referrals.found += min(n, 1)
            referrals.lost += n == 0
            referrals.duplicated += max(n - 1, 0)
    unexpected = [k for k in have if k[0] not in carer_of or k[1] not in EXPECTED_SERVICES]
    referrals.duplicated += len(unexpected)
    referrals.lost += (len(carers) - len(carer_of)) * len(EXPECTED_SERVICES)
    tallies.append(referrals)

    referral_events = _events(await read_all(bootstrap, stack.topic(topics.REFERRALS)))
    created = Tally("referral.created", len(referral_rows))
    created_ids: dict[str, str] = {}  # event id -> carer id
    per_referral: Counter[str] = Counter()
    for _record, event in referral_events:
        if event["type"] == "referral.created":
            per_referral[event["data"]["referral_id"]] += 1
            created_ids[event["id"]] = event["data"]["carer_id"]
    for row in referral_rows:
        n = per_referral.get(row["referral_id"], 0)
        created.found += min(n, 1)
        created.lost += n == 0
        created.duplicated += max(n - 1, 0)
        if n != 1:
            created.note(f"referral {row['referral_id']} announced {n} times")
    created.duplicated += len(set(per_referral) - {r["referral_id"] for r in referral_rows})
    tallies.append(created)

    # Messages handed to the providers: one per (event, template, recipient).
    notes = await stack.query(
        "notifications",
        "SELECT notification_id, carer_id, event_id, template_id, channel, recipient, status "
        "FROM notifications",
    )
    by_notification = {r["notification_id"]: r for r in notes}
    emails, texts = await provider_messages(stack)
    references = [m["message_id"].split("@", 1)[0] for m in emails] + [
        t["reference"] for t in texts
    ]
    messages = Tally("messages to carers", len(created_ids))
    per_key: Counter[tuple[str, str, str]] = Counter()
    for reference in references:
        row = by_notification.get(reference)
        if row is None:
            messages.duplicated += 1
            messages.note(f"provider holds {reference}, which the service never recorded")
            continue
        per_key[(row["event_id"], row["template_id"], row["recipient"])] += 1
        expected_channel = carer_of.get(row["carer_id"])
        if expected_channel is not None and row["channel"] != expected_channel.channel:
            messages.note(f"{reference} went by {row['channel']}, carer prefers another")
    by_event: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key in per_key:
        by_event[key[0]].append(key)
    for event_id in created_ids:
        keys = by_event.get(event_id, [])
        messages.found += min(len(keys), 1)
        messages.lost += not keys
        if not keys:
            messages.note(f"no message for referral.created {event_id}")
        messages.duplicated += sum(per_key[k] - 1 for k in keys) + max(len(keys) - 1, 0)
    tallies.append(messages)

    # notification.sent once per message handed over.
    sent_events = _events(await read_all(bootstrap, stack.topic(topics.NOTIFICATIONS)))
    announced = Tally("notification.sent", sum(1 for r in notes if r["status"] in HANDED_OVER))
    per_sent: Counter[str] = Counter(
        e["data"]["notification_id"] for _r, e in sent_events if e["type"] == "notification.sent"
    )
    for row in notes:
        if row["status"] in HANDED_OVER:
            n = per_sent.get(row["notification_id"], 0)
            announced.found += min(n, 1)
            announced.lost += n == 0
            announced.duplicated += max(n - 1, 0)
            if n != 1:
                announced.note(f"{row['notification_id']} ({row['channel']}) announced {n} times")
    tallies.append(announced)

    # Dead letters: each poison message exactly once, nothing else.
    letters = [
        read_dead_letter(r.value)
        for r in await read_all(bootstrap, stack.topic(topics.DEADLETTER))
        if r.value
    ]
    positions = Counter((d["service"], d["topic"], d["partition"], d["offset"]) for d in letters)
    dead = Tally("dead letters", poison, found=len(positions))
    # A valid event dead-lettered is an effect lost; a bad one dead-lettered twice, a duplicate.
    dead.lost = abs(poison - len(positions))
    dead.duplicated = sum(n - 1 for n in positions.values())
    for letter in letters[:3]:
        dead.note(f"{letter['service']}: {letter['reason'][:120]}")
    tallies.append(dead)

    processed = inbound.found + dead.found
    return Verdict(scenario, len(sent) + poison, processed, tallies, len(order), order[:5])
