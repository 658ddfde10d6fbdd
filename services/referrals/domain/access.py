"""Who sees which referrals: a partner sees only its own service's queue (contract 5).

| role      | sees and works referrals to                          |
|-----------|------------------------------------------------------|
| `vasl`    | vasl                                                 |
| `council` | carers_assessment, young_carers, support_at_home     |
| `admin`   | every service                                        |

Any other role (gp, hospital) has no queue. A referral outside a caller's services is
answered as if it did not exist (404), so its existence is not disclosed.
"""

from __future__ import annotations

from services.referrals.domain.rules import SERVICES

SERVICES_FOR_ROLE: dict[str, tuple[str, ...]] = {
    "vasl": ("vasl",),
    "council": ("carers_assessment", "young_carers", "support_at_home"),
    "admin": SERVICES,
}
STAFF_ROLES: tuple[str, ...] = tuple(SERVICES_FOR_ROLE)


class OutOfScope(Exception):
    """The caller asked for a service outside their role's queue (HTTP 403)."""


def services_for(role: str) -> tuple[str, ...]:
    return SERVICES_FOR_ROLE.get(role, ())


def may_see(role: str, service: str) -> bool:
    return service in services_for(role)


def scope(role: str, service: str | None) -> tuple[str, ...]:
    """The services a queue request covers: the one asked for, if the role may see it."""
    allowed = services_for(role)
    if service is None:
        return allowed
    if service not in allowed:
        raise OutOfScope(
            f"service: role {role!r} may not see {service} referrals; "
            f"it sees {', '.join(allowed) or 'none'}"
        )
    return (service,)
