"""Sign-in in team mode (`geo.access`): the page waits for a signed-in identity, says
who is signed in with which role on the case, and keeps the identity in the page's
state for `ui.annotate.require_analyst`. The store checks every write again."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from geo.access import (
    ROLE_DUTIES,
    Actor,
    Identity,
    Role,
    auth_problems,
    comment_refusal,
    edit_refusal,
    identity_from_claims,
    team_mode,
    write_refusal,
)
from geo.errors import GeoError
from geo.escape import escape_markdown as md
from geo.store import Store
from ui.state import page


def user_claims() -> Mapping[str, object]:
    """The signed-in identity's claims (``st.user``). The seam tests replace: AppTest
    cannot sign in through a provider."""
    return st.user.to_dict()


def _auth_section() -> object:
    try:
        return st.secrets.get("auth")
    except FileNotFoundError:  # no secrets file at all
        return None


def sign_in() -> Identity | None:
    """In team mode, stop the page until someone signs in, before any case is named;
    the signed-in identity. None in solo mode."""
    page.signer, page.role = None, None
    if not team_mode():
        return None
    problems = auth_problems(_auth_section())
    if problems:
        st.error(
            "This explorer runs for a team (a shared database), which requires sign-in: "
            + md("; ".join(problems))
            + ". Nothing is shown until it is configured."
        )
        st.stop()
    identity = identity_from_claims(user_claims())
    if identity is None:
        st.title("Satellite-evidence explorer", anchor=False)
        st.info("This is a team's explorer: sign in to read or annotate its cases.")
        st.button("Sign in", type="primary", on_click=st.login, key="sign_in")
        st.stop()
    return identity


def members_only(store: Store, case_id: str, identity: Identity | None) -> None:
    """Note who is signed in and their role on the case `case_id`, and stop the page
    for one who is not its member: a team's case is read by its members only (a
    viewer reads and exports). Nothing in solo mode (`identity` None)."""
    if identity is None:
        return
    role = store.role(case_id, identity)
    page.signer, page.role = Actor(identity, case_id), role
    st.sidebar.markdown(f"Signed in as **{md(identity.signature)}**")
    st.sidebar.button("Sign out", on_click=st.logout, key="sign_out")
    if role is None:
        st.warning(
            "You are not a member of this case, so nothing of it is shown: ask its lead "
            "to add you (as a viewer to read it, an analyst to annotate it)."
        )
        st.stop()
    st.sidebar.caption(f"Your role on this case: {role.value} ({ROLE_DUTIES[role]}).")


def write_refused() -> str | None:
    """Why the signed-in identity may not add to the case; None if it may (and always
    in solo mode)."""
    signer = page.signer
    return None if signer is None else write_refusal(page.role, signer.case_id)


def comment_refused() -> str | None:
    """Why the signed-in identity may not comment on the case's records; None if it
    may (and always in solo mode)."""
    signer = page.signer
    return None if signer is None else comment_refusal(page.role, signer.case_id)


def edit_refused(store: Store, record_id: str) -> str | None:
    """Why the signed-in identity may not edit or delete this record; None if it may
    (and always in solo mode)."""
    signer = page.signer
    if signer is None:
        return None
    owner, record_case = store.made_in(record_id)
    return edit_refusal(page.role, signer.case_id, signer.identity, owner, record_case)


def members_section(store: Store) -> None:
    """A lead's view of the case's members: add one, change a role, remove one."""
    signer = page.signer
    if signer is None or page.role != Role.LEAD:
        return
    with st.sidebar.expander("Members of this case"):
        for member in store.members(signer.case_id):
            pending = "" if member.signed_in else " (not signed in yet)"
            st.markdown(f"{md(member.email)}: {member.role.value}{pending}")
        with st.form("member_form", clear_on_submit=True):
            email = st.text_input("E-mail", help="The address the member signs in with")
            role = st.selectbox("Role", list(Role), format_func=lambda r: r.value, index=1)
            add = st.form_submit_button("Add or change")
            remove = st.form_submit_button("Remove")
        if add or remove:
            try:
                if add:
                    store.set_member(signer.case_id, email, Role(role), by=signer)
                else:
                    store.remove_member(signer.case_id, email, by=signer)
            except GeoError as exc:
                st.error(md(exc))
            else:
                st.rerun()
