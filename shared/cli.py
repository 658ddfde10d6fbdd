"""``carers`` (or ``python -m shared.cli``): developer and operator commands.

token --role gp --org C82001         mint a development bearer token (--service registry ...
                                     narrows it to those services; default: all four)
deadletters list [--json]            what could not be processed, and why
deadletters replay 0:12 1:40 ...     resend chosen originals after a fix
topics                               create the contract topics (idempotent)
conformance FILE [--org C82001]      check a partner's CloudEvent, FHIR Bundle or batch offline
"""

from __future__ import annotations

import argparse
import sys

from shared.settings import ServiceSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="carers", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="mint a development bearer token")
    token.add_argument(
        "--role", required=True, choices=["gp", "hospital", "council", "vasl", "admin"]
    )
    token.add_argument("--org", required=True, help="organisation code, e.g. an ODS code")
    token.add_argument(
        "--hours", type=float, default=12, help="lifetime; services refuse more than 12 h"
    )
    token.add_argument(
        "--service",
        action="append",
        choices=["registry", "referrals", "notifications", "consultation"],
        help="a service the token is for (repeat for several); default: all four",
    )
    letters = sub.add_parser("deadletters", help="list or replay dead letters")
    letters.add_argument("action", choices=["list", "replay"])
    letters.add_argument("positions", nargs="*", help="replay: partition:offset on the DLQ")
    letters.add_argument("--json", action="store_true")
    sub.add_parser("topics", help="create the contract topics")
    conformance = sub.add_parser("conformance", help="check a partner's messages offline")
    conformance.add_argument("file", help="a CloudEvent, a FHIR Bundle, or a batch of them")
    conformance.add_argument("--org", help="your organisation code (FHIR sender check)")
    conformance.add_argument("--role", choices=["gp", "hospital"], help="FHIR: your role")
    lag = sub.add_parser("lag", help="consumer lag of a service's group, per partition")
    lag.add_argument("service", help="registry, referrals, notifications ... (or a group id)")
    args = parser.parse_args(argv)
    if args.command == "conformance":  # offline: needs no settings, broker or database
        from shared.conformance import run

        return run(args.file, role=args.role, org=args.org)
    settings = ServiceSettings()

    if args.command == "token":
        from datetime import timedelta

        from shared.auth import SERVICES, mint_token

        print(
            mint_token(
                settings.token_secret,
                args.role,
                args.org,
                ttl=timedelta(hours=args.hours),
                services=args.service or SERVICES,
            )
        )
        return 0
    if args.command == "topics":
        from shared.kafka.admin import ensure_topics

        created = ensure_topics(settings.kafka_bootstrap_servers, settings.topic_specs())
        print("created: " + (", ".join(created) or "none (all existed)"))
        return 0

    if args.command == "lag":
        from shared.kafka.admin import consumer_lag

        group = (
            args.service
            if args.service.startswith("carers-")
            else (f"{settings.kafka_topic_namespace}carers-{args.service}")
        )
        total = 0
        for (topic, partition), behind in sorted(
            consumer_lag(settings.kafka_bootstrap_servers, group).items()
        ):
            print(f"{topic}[{partition}] {behind}")
            total += behind
        print(f"{group}: {total} messages behind")
        return 0

    from shared.ops import deadletters

    bootstrap, namespace = settings.kafka_bootstrap_servers, settings.kafka_topic_namespace
    if args.action == "list":
        for dead in deadletters.read_all(bootstrap, namespace, settings=settings):
            print(deadletters.as_json(dead) if args.json else deadletters.describe(dead))
        return 0
    if not args.positions:
        parser.error("replay needs at least one partition:offset (see `deadletters list`)")
    for dead in deadletters.replay(bootstrap, args.positions, namespace, settings=settings):
        print(f"replayed {deadletters.describe(dead)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
