"""The one escaping function for every string that reaches a folium or Leaflet sink.

folium puts popup and tooltip text inside JavaScript template literals and
assigns GeoJSON tooltip tables with ``innerHTML`` (KNOWN-PITFALLS.md). HTML
entities alone are not enough there: ``${...}`` runs inside a template literal
and a backslash can break out of it. Entities for all of ``<>&'"`` plus
backtick, dollar and backslash make the text inert in both contexts.
"""

from __future__ import annotations

import html

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def escape_text(value: object) -> str:
    """Text safe to place in HTML, an attribute, or a template literal; None gives ''."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)


# CommonMark lets any ASCII punctuation be backslash-escaped; Streamlit's markdown
# adds meaning to '$' (maths) and ':' (colour directives and icons) as well.
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~<>$:&")


def escape_markdown(value: object) -> str:
    """Text safe for ``st.markdown``: no link, image, HTML, maths or directive survives."""
    if value is None:
        return ""
    text = "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in str(value))
    # A line break inside a value must not start a heading, list or block quote.
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked with an ellipsis.

    For a short place that shows text from files and links (a label on the map, a
    note about a link); the whole text stays where it is shown in full.
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
