"""Keep Streamlit itself from reaching out: nothing leaves the machine unless asked.

Streamlit's check of where a page's connection comes from allows this machine's
public address, which it asks checkip.amazonaws.com for. Any web page open in
the browser can make it ask, by trying to connect to the app: the connection is
refused, but the question went out, from the server, every time (offline, the
answer is never kept). Measured with strace on Streamlit 1.67. The explorer
only answers this machine (`server.address`, `server.allowedHosts`), so that
address is never needed: it is set to this machine's own before anything asks.
"""

from __future__ import annotations

import streamlit.net_util as net_util

LOOPBACK = "127.0.0.1"


def keep_streamlit_offline() -> None:
    """Give Streamlit this machine's address as its public one, so it never looks it up."""
    # A private name of Streamlit's (pinned >= 1.67); tests/test_offline.py fails if
    # a later version looks it up elsewhere.
    if net_util._external_ip is None:
        net_util._external_ip = LOOPBACK
