"""Streamlit itself never reaches out: a page elsewhere trying to connect makes no request."""

from __future__ import annotations

import pytest
import streamlit.net_util as net_util
from streamlit.web.server import server_util

from ui.offline import keep_streamlit_offline


def test_a_connection_from_another_site_makes_no_outside_request(monkeypatch):
    asked: list[str] = []

    def reach_out(url: str, timeout: float) -> None:
        asked.append(url)
        return None

    monkeypatch.setattr(net_util, "_make_blocking_http_get", reach_out)
    monkeypatch.setattr(net_util, "_external_ip", None)
    # Without it, Streamlit's origin check asks checkip.amazonaws.com.
    assert not server_util.is_url_from_allowed_origins("http://evil.example")
    assert asked and "checkip.amazonaws.com" in asked[0]
    asked.clear()
    monkeypatch.setattr(net_util, "_external_ip", None)
    keep_streamlit_offline()
    assert not server_util.is_url_from_allowed_origins("http://evil.example")
    assert server_util.is_url_from_allowed_origins("http://localhost:8501")
    assert asked == []


@pytest.mark.parametrize("address", ["203.0.113.7"])
def test_a_known_address_is_kept(monkeypatch, address):
    monkeypatch.setattr(net_util, "_external_ip", address)
    keep_streamlit_offline()
    assert net_util._external_ip == address
