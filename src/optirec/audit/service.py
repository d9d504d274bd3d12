"""Record an administrator's action in the audit log, and read the log back, newest first.

An event is written in the same transaction as the change it records: a promotion that is rolled back by an error
leaves no event, and no change is committed without its event.
"""

from __future__ import annotations

import getpass
import socket
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from optirec.audit.schemas import AuditEventPublic, AuditPage
from optirec.store.tables import ApiKey, AuditEvent, Customer

# What the log records; the console names each in words.
PROMOTE, ROLLBACK, TRAIN = "model.promote", "model.rollback", "model.train"
KEY_CREATE, KEY_REVOKE = "key.create", "key.revoke"
# A customer's data seen or removed by an administrator: the customer's id as the target, never the data itself.
REVEAL, EXPORT, ERASE = "prescription.reveal", "customer.export", "customer.erase"
# Experiments (`recommend.experiments`): the guardrail's stop of a harmful arm is recorded as the schedule's, or the
# caller's whose look at the results found it.
EXPERIMENT_CREATE, EXPERIMENT_START, EXPERIMENT_STOP = "experiment.create", "experiment.start", "experiment.stop"
EXPERIMENT_SHIP, EXPERIMENT_GUARDRAIL = "experiment.ship", "experiment.guardrail"
ACTIONS = (
    PROMOTE, ROLLBACK, TRAIN, KEY_CREATE, KEY_REVOKE, REVEAL, EXPORT, ERASE,
    EXPERIMENT_CREATE, EXPERIMENT_START, EXPERIMENT_STOP, EXPERIMENT_SHIP, EXPERIMENT_GUARDRAIL,
)  # fmt: skip


class Principal(Protocol):
    """Who called, as the audit log needs it (`optirec.auth.service.Principal` is one): an API key or an account."""

    @property
    def key_id(self) -> str | None: ...

    @property
    def customer_id(self) -> str | None: ...


# Actors that are no account or key: a training's own promotion, started by the schedule; a command run by hand.
SCHEDULE_ACTOR = "optirec:schedule"

MAX_EVENT_ID = 2**63 - 1  # the largest id an event can have (a BIGINT's): a page cursor beyond it is refused


def command_line_actor() -> str:
    """The operating-system user and host that ran an `optirec` command (`cli:user@host`)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        user = "unknown"
    return f"cli:{user[:32]}@{socket.gethostname()[:40]}"


def actor_of(principal: Principal) -> str:
    """Who acted, as the log keeps it: an account (`customer:<id>`) or an API key (`key:<id>`)."""
    if principal.key_id is not None:
        return f"key:{principal.key_id}"
    return f"customer:{principal.customer_id}"


def record(
    *,
    session: Session,
    principal: Principal | None = None,
    actor: str | None = None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the session's transaction: who (a principal, or an `actor` such as `command_line_actor()`)
    did what, on what."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if principal is not None:
        actor = actor_of(principal)
    if actor is None:
        raise ValueError("an audit event needs a principal or an actor")
    event = AuditEvent(actor=actor[:80], action=action, target=target[:128], detail=detail or {})
    session.add(event)
    session.flush()
    return event


def list_events(*, session: Session, limit: int = 50, before: int | None = None) -> AuditPage:
    """The newest `limit` events (older than the event `before`, for the next page), each with its actor's name
    where the account or key still exists."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    labels = _labels(session, {row.actor for row in rows})
    events = [
        AuditEventPublic.model_validate(row).model_copy(update={"actor_label": labels.get(row.actor, "")})
        for row in rows
    ]
    return AuditPage(events=events, next_before=rows[-1].id if more and rows else None)


def _labels(session: Session, actors: set[str]) -> dict[str, str]:
    """Each actor's e-mail address (an account) or name (a key); an erased account or a deleted key has none."""
    customers = [actor.partition(":")[2] for actor in actors if actor.startswith("customer:")]
    keys = [actor.partition(":")[2] for actor in actors if actor.startswith("key:")]
    labels: dict[str, str] = {}
    for actor in actors:
        if actor == SCHEDULE_ACTOR:
            labels[actor] = "the training schedule"
        elif actor.startswith("cli:"):
            labels[actor] = f"the command line ({actor.partition(':')[2]})"
    if customers:
        for customer_id, email in session.execute(
            select(Customer.id, Customer.email).where(Customer.id.in_(customers))
        ):
            labels[f"customer:{customer_id}"] = email or ""
    if keys:
        for key_id, name in session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(keys))):
            labels[f"key:{key_id}"] = f"API key “{name}”"
    return labels
