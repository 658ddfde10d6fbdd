"""The README demo: a GP and a hospital identify the same carer; the platform does the rest.

Starts Kafka and the four services (``shared.ops.stack``), then, as partners would over HTTP:
1. a GP practice (ODS C82001) identifies a carer, with her story and consent;
2. a hospital trust (ODS RWE) identifies the same person, spelt in other case and spacing;
and shows what each service made of it: one carer record listing both sources, one referral
carrying her story, one notification due to her; VASL works the referral in its web page; and
3. a carer tells us herself on the public self-service pages, gets a reference, signs in with
the code emailed to her and reads where her referrals stand; and
4. her GP practice, which the hospital named, finds her on its "carers to code" list and codes
her: the list is empty again (issue 17). Each run uses a new (valid,
fictitious) NHS number so it can be repeated. The services keep running; ``scripts/stack down``
stops them.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from shared.auth import mint_token
from shared.events import is_valid_nhs_number
from shared.ops.stack import port_of, up
from shared.settings import ServiceSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/cloudevent-carer-identified.json"


def fictitious_nhs_number(rng: random.Random) -> str:
    """A Modulus 11 valid number in the 999 range, which the NHS never issues to people."""
    while True:
        candidate = "999" + "".join(str(rng.randrange(10)) for _ in range(7))
        if is_valid_nhs_number(candidate):
            return candidate


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.2)
    raise SystemExit(f"demo failed: {what} did not happen within {timeout:.0f} s")


def say(text: str) -> None:
    print(text, flush=True)


def run(cluster: bool = False) -> int:
    """The story; ``cluster``: on the secured three-node cluster (``scripts/demo --cluster``),
    each service as its own Kafka principal. The partners post over HTTP either way."""
    if cluster:
        from shared.ops.cluster_stack import up as up_on_cluster

        say("Starting the secured Kafka cluster and the services (logs in .run/logs/) ...")
        urls = up_on_cluster()
    else:
        say("Starting Kafka and the four services (logs in .run/logs/) ...")
        urls = up()
    registry, referrals, notifications = (
        f"http://127.0.0.1:{port_of(n)}" for n in ("registry", "referrals", "notifications")
    )
    secret = ServiceSettings().token_secret
    gp = {"Authorization": f"Bearer {mint_token(secret, 'gp', 'C82001')}"}
    hospital = {"Authorization": f"Bearer {mint_token(secret, 'hospital', 'RWE')}"}
    council = {"Authorization": f"Bearer {mint_token(secret, 'council', 'LCC')}"}
    vasl = {"Authorization": f"Bearer {mint_token(secret, 'vasl', 'VASL')}"}

    nhs_number = fictitious_nhs_number(random.Random())
    body = json.loads(EXAMPLE.read_text())["data"]
    body["person"]["nhs_number"] = nhs_number
    body["support_requested"] = ["vasl_support"]
    # Email first: texts wait for the morning between 21:00 and 08:00 (quiet hours).
    body["preferences"]["contact_channels"] = ["email", "sms"]
    client = httpx.Client(timeout=10)

    say(f"\n1. Example Surgery (GP, C82001) identifies Siân O'Connor-Smith, NHS {nhs_number}.")
    answer = client.post(f"{registry}/identifications", json=body, headers=gp)
    say(f"   POST /identifications -> {answer.status_code} {answer.json()}")

    second = json.loads(json.dumps(body))
    second["identified_by"] = {
        "kind": "hospital",
        "org_code": "RWE",
        "org_name": "University Hospitals of Leicester",
    }
    second["person"].update(given_name="  SIÂN ", postcode="le16zg")
    second["person"]["gp_practice_ods"] = "C82001"  # her GP practice, from the hospital's PAS
    second["story"] = body["story"]
    say("2. The hospital (RWE) identifies the same person, typed differently.")
    answer = client.post(f"{registry}/identifications", json=second, headers=hospital)
    say(f"   POST /identifications -> {answer.status_code} {answer.json()}")

    def carer() -> dict[str, Any] | None:
        found = client.get(f"{registry}/carers", params={"nhs_number": nhs_number}, headers=council)
        record = found.json() if found.status_code == 200 else None
        return record if record and len(record["sources"]) == 2 else None

    record = wait_for("one carer record with both sources", carer)
    say(
        f"\nRegistry: one carer record {record['carer_id']} (version {record['version']}, "
        f"{record['category']}), identified by "
        + ", ".join(f"{s['kind']} {s['org_code']}" for s in record["sources"])
    )

    def referral() -> list[dict[str, Any]]:
        queue = client.get(
            f"{referrals}/referrals", params={"carer_id": record["carer_id"]}, headers=vasl
        )
        return queue.json() if queue.status_code == 200 else []

    made = wait_for("the referral", referral)
    say(
        f"Referrals: {len(made)} referral(s): "
        + ", ".join(f"{r['service']} ({r['status']})" for r in made)
    )
    say(f'   with her story: "{made[0]["story"]}"')

    def notified() -> list[dict[str, Any]]:
        sent = client.get(
            f"{notifications}/notifications",
            params={"carer_id": record["carer_id"]},
            headers=council,
        )
        found = sent.json() if sent.status_code == 200 else []
        # handed over to the provider (the local GOV.UK Notify stand-in), or delivered
        return [m for m in found if m["status"] in ("sent", "delivered")]

    messages = wait_for("the notification handed to the provider", notified)
    say(
        f"Notifications: {len(messages)} message(s) to her: "
        + ", ".join(f"{m['template_id']} by {m['channel']} ({m['status']})" for m in messages)
    )

    from shared.ops.demo_referrals import show_referral_in_web_page

    say("\n3. VASL's referral team works the referral in its web page (no JavaScript needed):")
    show_referral_in_web_page(referrals, mint_token(secret, "vasl", "VASL"), made[0]["referral_id"])

    from shared.ops.demo_selfservice import show_self_registration

    say("\n4. At any hour, a carer tells us herself on the registry's public pages:")
    show_self_registration(registry, "http://127.0.0.1:8025/messages", say=say)

    from shared.ops.demo_gp_coding import show_gp_coding, surgery_kafka_env

    say("\n5. Her GP practice is asked to code her as a carer, and does:")
    show_gp_coding(
        registry, mint_token(secret, "gp", "C82001"), nhs_number, surgery_kafka_env(cluster), say
    )

    say("\nThe services are still running:")
    for name, url in urls.items():
        say(f"  {name:14} {url}   (health: {url}/health, API docs: {url}/docs)")
    say(f"  kafka          {client.get(f'{registry}/health').json()['status']}")
    consultation = f"http://127.0.0.1:{port_of('consultation')}"
    say(
        f"The public consultation: {consultation}/consultations/"
        "draft-leicestershire-carers-strategy-2026 (easy read and paper versions linked there)"
    )
    say(f"Carer self-service (tell us, check your support, easy read): {registry}/self-service")
    say(f"Carers strategy figures (council): http://127.0.0.1:{port_of('monitoring')}/monitoring")
    say("Emails the local SMTP server received: http://127.0.0.1:8025/messages")
    say("Stop everything with: scripts/stack down")
    return 0


if __name__ == "__main__":
    sys.exit(run(cluster="--cluster" in sys.argv[1:]))
