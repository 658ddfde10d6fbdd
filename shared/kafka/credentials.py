"""Passwords for the local secured cluster's principals, and what a client needs to connect.

Why apart from ``cluster.py``: minting a password is an operator's act on a running cluster
(``scripts/kafka cluster credentials P``: a partner's new password, the old one refused at
once), not part of running the nodes. The SCRAM-SHA-512 credential is set through the admin
API as the set-up super user and kept in ``<home>/cluster.json`` (mode 600, git-ignored) with
the others, so ``client_env`` and the services started later use it.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import TYPE_CHECKING

from shared.kafka import principals

if TYPE_CHECKING:
    from shared.kafka.cluster import KafkaCluster


def mint(cluster: KafkaCluster, principal: str) -> str:
    """A new password for ``principal``, set on the running cluster and kept in
    ``cluster.json``; the old one stops working. Returns the password."""
    from kafka.admin import UserScramCredentialUpsertion

    from shared.kafka.admin import admin_client
    from shared.kafka.cluster_node import MECHANISM

    if principal != principals.ADMIN and principal not in principals.ROWS:
        raise ValueError(f"principal: {principal} is not in shared/kafka/principals.py")
    password = secrets.token_hex(16)
    options = cluster.kafka_python_options(principals.ADMIN)
    with admin_client(cluster.bootstrap_servers, **options) as admin:
        upsert = UserScramCredentialUpsertion(principal, MECHANISM, password)
        failed = admin.alter_user_scram_credentials([upsert]).get(principal)
    if failed:
        raise RuntimeError(f"setting {principal}'s password failed: {failed}")
    cluster.layout["credentials"][principal] = password
    cluster.layout_file.write_text(json.dumps(cluster.layout, indent=2))
    os.chmod(cluster.layout_file, 0o600)
    return password


def ensure(cluster: KafkaCluster) -> list[str]:
    """Passwords for principals added to the table after the cluster was formatted (the
    format step only knows those of the day); returns the principals given one."""
    missing = [p for p in principals.ROWS if p not in cluster.layout["credentials"]]
    for principal in missing:
        mint(cluster, principal)
    return missing


def client_properties(cluster: KafkaCluster, principal: str) -> str:
    """The settings for a Java (or librdkafka-style) client: what a partner's integration
    team puts in its producer configuration, with the CA file handed over beside it."""
    from shared.kafka.cluster_node import MECHANISM, SCRAM_LOGIN

    password = cluster.credentials[principal]
    return "\n".join(
        [
            f"bootstrap.servers={cluster.bootstrap_servers}",
            "security.protocol=SASL_SSL",
            f"sasl.mechanism={MECHANISM}",
            f'sasl.jaas.config={SCRAM_LOGIN[:-1]} username="{principal}" password="{password}";',
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={cluster.ca_file}",
            "acks=all",
            "enable.idempotence=true",
        ]
    )
