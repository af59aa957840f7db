"""The one escaping function for every string that reaches a folium or Leaflet sink.

folium puts popup and tooltip text inside JavaScript template literals and
assigns GeoJSON tooltip tables with ``innerHTML`` (folium 0.20 does both). HTML
entities alone are not enough there: ``${...}`` runs inside a template literal
and a backslash can break out of it. Entities for all of ``<>&'"`` plus
backtick, dollar and backslash make the text inert in both contexts.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def escape_text(value: object) -> str:
    """Text safe to place in HTML, an attribute, or a template literal; None gives ''."""
    if value is None:
        return ""
    return html.escape(isolated(str(value)), quote=True).translate(_EXTRA)


# Characters that change the direction of the text around them: embeddings and
# overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def isolated(text: str) -> str:
    """`text`, kept from turning the text around it: a name ending in a right-to-left
    override showed the app's own "was not imported" backwards. Within an isolate an
    override ends where the isolate does (Unicode's bidirectional algorithm, X6a)."""
    if not _BIDI_CONTROLS.search(text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


# CommonMark lets any ASCII punctuation be backslash-escaped; Streamlit's markdown
# adds meaning to '$' (maths) and ':' (colour directives and icons) as well.
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~<>$:&")


# GitHub-style autolinking finds bare URLs and e-mail addresses in the rendered
# text, after escapes and character references are decoded, so no escape stops
# it (measured in Chromium); nor does one stop Streamlit's :material/name: icons.
# An invisible WORD JOINER inside each pattern does: between "http:"/"https:" and
# "//", between "www" and ".", before "@", and after the ":" of ":material/".
_AUTOLINK = re.compile(
    r"(?i)(?:(?<=http:)|(?<=https:))(?=//)|(?<=www)(?=\.)|(?=@)|(?<=:)(?=material/)"
)
WORD_JOINER = "\u2060"


def escape_markdown(value: object) -> str:
    """Text safe for ``st.markdown`` and widget labels: no link (not even a bare URL),
    image, HTML, maths or directive survives. The characters shown are the value's;
    invisible word joiners keep URLs and addresses from becoming links."""
    if value is None:
        return ""
    return _escaped(isolated(_AUTOLINK.sub(WORD_JOINER, str(value))))


def _escaped(text: str) -> str:
    escaped = "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in text)
    # A line break inside a value must not start a heading, list or block quote.
    return " ".join(escaped.split())


def markdown_link(url: str) -> str:
    """A web address as a link the reader can follow, or as text if it is not http(s).

    For the addresses of a case's sources, which are there to be followed; any
    other scheme (javascript:, data:, file:) stays text.
    """
    if not re.match(r"(?i)https?://[^\s]", url):
        return escape_markdown(url)
    # Percent-encoding leaves no character that ends or escapes the destination.
    target = quote(url, safe=":/?#[]@!$&'*+,;=%~-._")
    # No autolinking happens inside a link: its text is the address as written.
    return f"[{_escaped(url)}](<{target}>)"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked with an ellipsis.

    For a short place that shows text from files and links (a label on the map, a
    note about a link); the whole text stays where it is shown in full.
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
