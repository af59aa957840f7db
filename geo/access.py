"""Who may do what in a team's explorer: the signed-in identity, the roles per case,
the rules for each write, and when the app must not start. Pure: the store applies
the rules inside its write transactions (`geo.store.members`), the page only hides
what a role may not use.

Solo mode (the default: SQLite in the data folder) has no sign-in: the analyst types
a name. Team mode (``GEO_DATABASE_URL`` set, or ``GEO_TEAM=1``) requires sign-in
through OpenID Connect, and every change is signed by the signed-in identity.

Roles, per case:

- viewer: reads and exports;
- analyst: also adds records and imports layers, edits or deletes their own, and
  comments on any record of the case;
- lead: also edits or deletes anyone's records, and manages the case's members.

Each record belongs to the case it was made in (``records.case_id``): a role on one
case says nothing about another's records. Records made before cases were recorded
are shown on every case, and only a lead changes them.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from geo.errors import GeoError

ENV_TEAM: Final = "GEO_TEAM"
# What Streamlit's `st.login` needs in the [auth] section of .streamlit/secrets.toml.
AUTH_KEYS: Final = ("redirect_uri", "cookie_secret", "client_id", "client_secret")
AUTH_METADATA_KEY: Final = "server_metadata_url"
# The issuer of a member named by e-mail on the command line (`Identity.named`); an
# OpenID Connect issuer is a URL, never this.
NAMED_ISSUER: Final = "mailto"
LOCAL_NAMES: Final = frozenset({"localhost"})


class AccessDenied(GeoError, PermissionError):
    """The signed-in identity's role on the case does not allow the change: nothing
    was changed."""


class Role(enum.StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    LEAD = "lead"


ROLE_DUTIES: Final = {
    Role.VIEWER: "reads and exports",
    Role.ANALYST: "adds records, edits their own, comments on any",
    Role.LEAD: "edits any record and manages members",
}


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the OpenID Connect provider says: `issuer` and `subject` name
    the person for good; `email` and `name` are what people read."""

    issuer: str
    subject: str
    email: str = ""
    name: str = ""
    email_verified: bool = True  # False only if the provider says so

    @classmethod
    def named(cls, email: str) -> Identity:
        """A member named by e-mail on the command line, not signed in: whoever runs it
        holds the database's credentials, so the e-mail is taken as given. The store
        checks its role on the case by the e-mail alone, and never binds the membership
        to it (that waits for the member's own sign-in)."""
        address = normal_email(email)
        return cls(NAMED_ISSUER, address, address)

    @property
    def is_named(self) -> bool:
        """Whether it was named on the command line (`named`), not signed in."""
        return self.issuer == NAMED_ISSUER

    @property
    def key(self) -> str:
        """The identity as one text, stored as a record's owner."""
        return f"{self.issuer} {self.subject}"

    def owns(self, owner_key: str | None) -> bool:
        """Whether a record owned by `owner_key` is this identity's: made by it, or made
        on the command line by a member named with its (verified) e-mail."""
        if owner_key is None:
            return False
        if owner_key == self.key:
            return True
        return bool(self.email) and self.email_verified and owner_key == self.named(self.email).key

    @property
    def signature(self) -> str:
        """How the history names this person: name and e-mail, or what there is."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or self.subject


@dataclass(frozen=True)
class Actor:
    """A signed-in identity working on a case: what signs a change in team mode."""

    identity: Identity
    case_id: str


# What signs a change: a typed name (solo mode) or a signed-in identity (team mode).
Signer = str | Actor


def signed_name(signer: Signer) -> str:
    """The name a record's own fields give for who made it, as the history does."""
    return signer.identity.signature if isinstance(signer, Actor) else signer.strip()


def identity_from_claims(claims: Mapping[str, object]) -> Identity | None:
    """The identity in an ID token's claims (Streamlit's ``st.user``); None if the
    claims do not name one (no issuer or subject: not signed in)."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not issuer or not subject:
        return None
    if issuer == NAMED_ISSUER:  # not a provider's: it would pass for a named member
        return None
    email, name = claims.get("email"), claims.get("name")
    return Identity(
        issuer,
        subject,
        email.strip().lower() if isinstance(email, str) else "",
        name.strip() if isinstance(name, str) else "",
        claims.get("email_verified") is not False,
    )


def normal_email(email: str) -> str:
    return email.strip().lower()


# --- the rules ---


def write_refusal(role: Role | None, case_id: str) -> str | None:
    """Why this role may not add records or import on the case; None if it may."""
    if role is None:
        return f"you are not a member of the case {case_id!r}: ask its lead to add you"
    if role == Role.VIEWER:
        return f"viewers of the case {case_id!r} can read and export, not change it"
    return None


def edit_refusal(
    role: Role | None,
    case_id: str,
    actor: Identity,
    owner_key: str | None,
    record_case: str | None,
) -> str | None:
    """Why `actor`, working on the case `case_id`, may not edit or delete a record owned
    by `owner_key` (None: made outside team mode) that belongs
    to the case `record_case`; None if they may. `role` is their role on the record's
    case.

    A record made before records were tied to a case (`record_case` None) is shown on
    every case: only a lead changes it, since it is on other cases' pages too."""
    if record_case is not None and record_case != case_id:
        return (
            f"this record belongs to the case {record_case!r}, not {case_id!r}: it is "
            "changed only from its own case"
        )
    refused = write_refusal(role, case_id)
    if refused is not None:
        return refused
    if role == Role.LEAD:
        return None
    if record_case is None:
        return (
            "this record was made before records were tied to a case and is shown on "
            "every case: only a lead changes it"
        )
    if actor.owns(owner_key):
        return None
    return "analysts edit only their own records: ask the case's lead, or add yours"


def comment_refusal(role: Role | None, case_id: str) -> str | None:
    """Why this role may not comment on records of the case; None if it may (an
    analyst or a lead, on anyone's record)."""
    if role is None:
        return f"you are not a member of the case {case_id!r}: ask its lead to add you"
    if role == Role.VIEWER:
        return f"viewers of the case {case_id!r} can read and export, not comment"
    return None


def manage_refusal(role: Role | None, case_id: str) -> str | None:
    """Why this role may not add, remove or change members of the case; None if it may."""
    if role == Role.LEAD:
        return None
    return f"only a lead of the case {case_id!r} manages its members"


def assign_refusal(role: Role | None, case_id: str) -> str | None:
    """Why this role may not give records made before cases were recorded (shown on
    every case) to the case; None if it may (a lead: the records leave the others)."""
    if role == Role.LEAD:
        return None
    return (
        f"only a lead of the case {case_id!r} gives it records made before cases were "
        "recorded (they would leave every other case)"
    )


# --- team mode and startup ---


def team_mode(env: Mapping[str, str] | None = None) -> bool:
    """Whether the explorer runs for a team: a shared database, or ``GEO_TEAM=1``."""
    from geo.store.connection import ENV_DATABASE_URL  # the store uses these rules

    env = os.environ if env is None else env
    return bool(env.get(ENV_DATABASE_URL, "").strip()) or env.get(ENV_TEAM, "").strip() in {
        "1",
        "true",
        "yes",
    }


def auth_problems(auth: object) -> list[str]:
    """What the [auth] section of the secrets lacks for `st.login`; [] if complete."""
    if not isinstance(auth, Mapping) or not auth:
        return ["there is no [auth] section in .streamlit/secrets.toml"]
    missing = [key for key in (*AUTH_KEYS, AUTH_METADATA_KEY) if not auth.get(key)]
    if missing:
        return [f"the [auth] section of .streamlit/secrets.toml lacks {', '.join(missing)}"]
    return []


def is_local_address(address: str) -> bool:
    """Whether the server would listen on this machine only."""
    host = address.strip().strip("[]")
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def startup_problems(*, team: bool, address: str | None, auth: object) -> list[str]:
    """Why the explorer must not start like this; [] if it may. `address` is the
    server's listening address (None or "": every interface, Streamlit's default);
    `auth` the [auth] section of the secrets (None if there is none)."""
    missing = auth_problems(auth)
    if not missing:
        return []
    problems = []
    if team:
        problems.append(
            f"team mode (GEO_DATABASE_URL or {ENV_TEAM}=1) requires sign-in through "
            f"OpenID Connect, and {missing[0]} (needs {', '.join((*AUTH_KEYS, AUTH_METADATA_KEY))})"
        )
    if not is_local_address(address or ""):
        where = f"on {address}" if address else "on every network interface (the default)"
        problems.append(
            f"without sign-in the explorer listens on this machine only; it was asked to "
            f"listen {where}: give --server.address=127.0.0.1, or configure sign-in"
        )
    return problems
