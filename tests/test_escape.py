import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.escape import (
    FIRST_STRONG_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    WORD_JOINER,
    escape_markdown,
    escape_text,
    isolated,
    markdown_link,
)

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>window.pwned=1</script>",
    "${window.pwned=1}",
    "\\\\`;window.pwned=1;`",
    '" onmouseover="alert(1)',
    "'); alert(1); ('",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_text_leaves_no_active_character(text):
    escaped = escape_text(text)
    for char in "<>\"'`$\\":
        assert char not in escaped


def test_escape_text_keeps_words_and_handles_none():
    assert escape_text("Saydnaya — سجن صيدنايا & co") == "Saydnaya — سجن صيدنايا &amp; co"
    assert escape_text(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript\\:alert\\(1\\)\\)"),
        (
            "![x](http://tracker.example/p.png)",
            "\\!\\[x\\]\\(http\\:\u2060//tracker\\.example/p\\.png\\)",
        ),
        ("$x^2$", "\\$x^2\\$"),
        (":red[alarm]", "\\:red\\[alarm\\]"),
        ("# heading\n- item", "\\# heading \\- item"),
        ("plain words", "plain words"),
    ],
)
def test_escape_markdown(text, expected):
    assert escape_markdown(text) == expected


# The patterns of GitHub-style autolinking as Streamlit's markdown applies them
# to rendered text (mdast-util-gfm-autolink-literal; JavaScript's \\w is ASCII).
_GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I | re.A)
_GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.A)


def _rendered(markdown: str) -> str:
    """The text a reader sees: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:9/p",
        "see HTTPS://evil.example/x now",
        "www.evil.example/path?q=1",
        "mailto:user@evil.example",
        "a.b@c.d.e",
        "xmpp:user@evil.example",
    ],
)
def test_bare_urls_and_addresses_do_not_become_links(text):
    shown = _rendered(escape_markdown(text))
    assert not _GFM_URL.search(shown) and not _GFM_EMAIL.search(shown)
    assert shown.replace(WORD_JOINER, "") == text  # nothing visible changed


@given(
    st.text(alphabet=st.sampled_from("htps:/w.@ ab-_+1\\[]()!<>\n\u00e9"), max_size=40) | st.text()
)
def test_no_text_escapes_into_a_link(text):
    shown = _rendered(escape_markdown(text))
    assert not _GFM_URL.search(shown) and not _GFM_EMAIL.search(shown)
    visible = shown.replace(WORD_JOINER, "").removeprefix(FIRST_STRONG_ISOLATE)
    if visible != " ".join(text.split()):
        visible = visible.removesuffix(POP_DIRECTIONAL_ISOLATE)
    assert visible == " ".join(text.split())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.example.org/a?b=1",
            "[https\\://www\\.example\\.org/a?b=1](<https://www.example.org/a?b=1>)",
        ),
        (
            "http://x.example/a b>c",
            "[http\\://x\\.example/a b\\>c](<http://x.example/a%20b%3Ec>)",
        ),
        ("javascript:alert(1)", "javascript\\:alert\\(1\\)"),
        ("data:text/html,<b>", "data\\:text/html,\\<b\\>"),
    ],
)
def test_source_addresses_link_only_to_the_web(url, expected):
    assert markdown_link(url) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a longer line", 10, "a longer…"),
        ("cut at a  space", 10, "cut at a…"),  # no space left before the ellipsis
    ],
)
def test_shorten(text, limit, expected):
    from geo.escape import shorten

    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_an_icon_name_stays_its_characters():
    # Streamlit draws :material/verified: as a "verified" badge, escaped colons or not
    shown = _rendered(escape_markdown(":material/verified: OHCHR verified"))
    assert ":material/" not in shown
    assert shown.replace(WORD_JOINER, "") == ":material/verified: OHCHR verified"


@pytest.mark.parametrize("control", ["\u202e", "\u202b", "\u2066", "\u2067", "\u2068"])
def test_a_direction_control_cannot_turn_the_text_around_it(control):
    name = f"evil{control}.geojson"
    for escaped in (escape_markdown(name), escape_text(name)):
        assert escaped.startswith(FIRST_STRONG_ISOLATE)
        assert escaped.endswith(POP_DIRECTIONAL_ISOLATE)
    assert isolated("plain ordinary name") == "plain ordinary name"
