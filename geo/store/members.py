"""Team mode in the store: the members of each case, and the role checks every write
makes inside its own transaction, so a request crafted from a viewer's session is
refused by the store itself, whatever the page shows. The rules are in `geo.access`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, update

from geo.access import (
    AccessDenied,
    Actor,
    Identity,
    Role,
    Signer,
    edit_refusal,
    manage_refusal,
    normal_email,
    write_refusal,
)
from geo.errors import DataError, Problem, StoreError
from geo.store import changes
from geo.store.chain import Action
from geo.store.schema import history, members, records
from geo.store.validate import checked_analyst


@dataclass(frozen=True)
class Member:
    case_id: str
    email: str
    role: Role
    name: str
    signed_in: bool  # whether the member has written as a signed-in identity yet


@dataclass(frozen=True)
class Signed:
    """Who signs a change, as the history writes it, and what the store notes with it."""

    analyst: str  # the history's analyst
    owner: str | None  # records.owner of a new record: the identity's key in team mode
    actor: Actor | None  # None in solo mode


def _match(case_id: str, identity: Identity) -> ColumnElement[bool]:
    """The members row of `identity` on the case: bound to its issuer and subject, or
    not yet bound and added under its (verified) e-mail; for a member named on the
    command line (`Identity.named`), the row of its e-mail, bound or not."""
    if identity.is_named:
        return and_(members.c.case_id == case_id, members.c.email == identity.email)
    bound = and_(members.c.issuer == identity.issuer, members.c.subject == identity.subject)
    if identity.email and identity.email_verified:
        by_email = and_(members.c.subject.is_(None), members.c.email == identity.email)
        bound = or_(bound, by_email)
    return and_(members.c.case_id == case_id, bound)


def role_of(conn: Connection, case_id: str, identity: Identity) -> Role | None:
    """The identity's role on the case; None if it is not a member."""
    rows = conn.execute(select(members.c.role, members.c.subject).where(_match(case_id, identity)))
    found = sorted(rows, key=lambda row: row[1] is None)  # a bound row first
    return Role(found[0][0]) if found else None


def _bind(conn: Connection, case_id: str, identity: Identity) -> None:
    """Tie a member added by e-mail to the identity that signed in with it."""
    conn.execute(
        update(members)
        .where(
            members.c.case_id == case_id,
            members.c.subject.is_(None),
            members.c.email == identity.email,
        )
        .values(issuer=identity.issuer, subject=identity.subject, name=identity.name)
    )


# A rule of `geo.access`: why a role may not do something on a case, or None.
Rule = Callable[[Role | None, str], str | None]


def signed(
    conn: Connection,
    signer: Signer,
    *,
    team: bool,
    bind: bool = True,
    rule: Rule = write_refusal,
) -> Signed:
    """Who signs, checked: in team mode only a signed-in member whom `rule` lets
    (by default: who may add records); in solo mode a typed name (or an identity,
    signed with its name). `bind` (in a write transaction) ties a member added by
    e-mail to the identity."""
    if isinstance(signer, Actor):
        if team:
            role = (_role_binding if bind else _role)(conn, signer)
            refused = rule(role, signer.case_id)
            if refused is not None:
                raise AccessDenied(f"{refused} (nothing was changed)")
        return Signed(signer.identity.signature, signer.identity.key, signer)
    if team:
        raise AccessDenied(
            "this is a team's store: changes are signed by a signed-in identity, not a "
            "typed name (nothing was changed)"
        )
    return Signed(checked_analyst(signer), None, None)


def _role(conn: Connection, actor: Actor) -> Role | None:
    return role_of(conn, actor.case_id, actor.identity)


def _role_binding(conn: Connection, actor: Actor) -> Role | None:
    role = role_of(conn, actor.case_id, actor.identity)
    identity = actor.identity
    # Only a sign-in binds: a named member's issuer and subject are not its account's.
    if role is not None and identity.email and identity.email_verified and not identity.is_named:
        _bind(conn, actor.case_id, identity)
    return role


def check_edit(conn: Connection, who: Signed, record_id: str) -> str | None:
    """Refuse an edit or delete of `record_id` the signer's role does not allow; in
    team mode, the name of whoever made the record if it is someone else (the history
    entry keeps both names), else None."""
    if who.actor is None:
        return None
    owner_key, record_case = made_in(conn, record_id)
    # The role on the record's own case, as the database says inside this transaction;
    # a record of no case (made before cases were recorded) by the role on the actor's.
    role = role_of(conn, record_case or who.actor.case_id, who.actor.identity)
    refused = edit_refusal(role, who.actor.case_id, who.actor.identity, owner_key, record_case)
    if refused is not None:
        raise AccessDenied(f"{refused} (record {record_id!r} was not changed)")
    if who.actor.identity.owns(owner_key):
        return None
    return made_by(conn, record_id)


def refuse_other_case(conn: Connection, record_id: str, case_id: str | None) -> None:
    """Refuse a change, from the case `case_id`, of a record of another case (in solo
    mode too: a case's page shows only its own records and those of no case)."""
    record_case = made_in(conn, record_id)[1]
    if case_id is not None and record_case is not None and record_case != case_id:
        raise AccessDenied(
            f"record {record_id!r} belongs to the case {record_case!r}, not {case_id!r}: it "
            "is changed only from its own case (nothing was changed)"
        )


def made_in(conn: Connection, record_id: str) -> tuple[str | None, str | None]:
    """The identity that made the record in team mode (`Identity.key`), and the case it
    belongs to; each None if there is none (or no such record)."""
    row = conn.execute(
        select(records.c.owner, records.c.case_id).where(records.c.id == record_id)
    ).first()
    if row is None:
        return None, None
    return (None if row[0] is None else str(row[0])), (None if row[1] is None else str(row[1]))


def made_by(conn: Connection, record_id: str) -> str | None:
    """The analyst who signed the entry that made the record: its creation, or the
    import of its layer."""
    created = conn.execute(
        select(history.c.analyst)
        .where(history.c.record_id == record_id, history.c.action == Action.CREATE.value)
        .limit(1)
    ).scalar()
    if created is not None:
        return str(created)
    imported = conn.execute(
        select(history.c.analyst)
        .where(
            history.c.action == Action.IMPORT.value,
            history.c.layer
            == select(records.c.layer).where(records.c.id == record_id).scalar_subquery(),
        )
        .limit(1)
    ).scalar()
    return None if imported is None else str(imported)


# --- managing members ---


def _checked_email(email: object) -> str:
    text = normal_email(email) if isinstance(email, str) else ""
    if "@" not in text or len(text) > 320 or any(c.isspace() for c in text):
        raise DataError(Problem(f"{email!r} is not an e-mail address", field="email"))
    return text


def _refuse_unmanaged(conn: Connection, case_id: str, by: Actor | None) -> str:
    """The name that signs a change of members; AccessDenied unless `by` leads the case
    (None: an administrator, on the command line with the database's credentials)."""
    if by is None:
        return "administrator"
    if by.case_id != case_id:
        raise AccessDenied(f"you are working on the case {by.case_id!r}, not {case_id!r}")
    refused = manage_refusal(_role_binding(conn, by), case_id)
    if refused is not None:
        raise AccessDenied(f"{refused} (nothing was changed)")
    return by.identity.signature


def _leads(conn: Connection, case_id: str) -> list[str]:
    return list(
        conn.execute(
            select(members.c.email).where(
                members.c.case_id == case_id, members.c.role == Role.LEAD.value
            )
        ).scalars()
    )


def _refuse_leaderless(conn: Connection, case_id: str, email: str, role: Role | None) -> None:
    if role != Role.LEAD and _leads(conn, case_id) == [email]:
        raise StoreError(
            f"{email} is the only lead of the case {case_id!r}: make another member lead "
            "first (nothing was changed)"
        )


def set_member(
    conn: Connection, case_id: str, email: object, role: Role, *, by: Actor | None, time: str
) -> None:
    """Add a member to the case, or change a member's role; the history notes who gave
    whom which role. Giving a member the role they have changes nothing."""
    who = _refuse_unmanaged(conn, case_id, by)
    address = _checked_email(email)
    found = conn.execute(
        select(members.c.id, members.c.role).where(
            members.c.case_id == case_id, members.c.email == address
        )
    ).first()
    known, before = (None, None) if found is None else (found[0], str(found[1]))
    if before == role.value:
        return
    changes.member(
        conn,
        time=time,
        case_id=case_id,
        email=address,
        before=before,
        after=role.value,
        analyst=who,
    )
    if known is None:
        conn.execute(
            insert(members).values(
                case_id=case_id,
                email=address,
                name="",
                role=role.value,
                added_at=time,
                added_by=who,
            )
        )
        return
    _refuse_leaderless(conn, case_id, address, role)
    conn.execute(update(members).where(members.c.id == known).values(role=role.value))


def remove_member(
    conn: Connection, case_id: str, email: object, *, by: Actor | None, time: str
) -> None:
    """Remove a member from the case; the history notes who removed whom."""
    who = _refuse_unmanaged(conn, case_id, by)
    address = _checked_email(email)
    _refuse_leaderless(conn, case_id, address, None)
    before = conn.execute(
        select(members.c.role).where(members.c.case_id == case_id, members.c.email == address)
    ).scalar()
    if before is None:
        raise StoreError(f"{address} is not a member of the case {case_id!r}")
    conn.execute(delete(members).where(members.c.case_id == case_id, members.c.email == address))
    changes.member(
        conn,
        time=time,
        case_id=case_id,
        email=address,
        before=str(before),
        after=None,
        analyst=who,
    )


def case_members(conn: Connection, case_id: str) -> list[Member]:
    rows = conn.execute(
        select(members.c.email, members.c.role, members.c.name, members.c.subject)
        .where(members.c.case_id == case_id)
        .order_by(func.lower(members.c.email))
    ).all()
    return [
        Member(case_id, email, Role(role), name, subject is not None)
        for email, role, name, subject in rows
    ]
