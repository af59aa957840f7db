"""A record's whole story as markdown for the panel beside the map.

Every value from the case goes through `escape_markdown`; the structure
(labels, bullets) is ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geo.case import Case
from geo.escape import escape_markdown as md
from geo.escape import markdown_link
from geo.measure import measure
from geo.model import SourceRef
from geo.records import CASE_LAYER, Kind, kind_label
from geo.store.chain import Comment

# Properties shown in their own sections, not in the generic list.
_SHOWN_ELSEWHERE = {
    "id",
    "name",
    "sources",
    "position_sources",
    "claim",
    "date",
    "date_as_stated",
    "confidence",
    "confidence_as_stated",
    "uncertainty_m",
    "position_basis",
    "site_facts",
}


def _label(key: str) -> str:
    return key.replace("_", " ")


def _value(value: Any, key: str = "") -> str:
    """A property's value in words: a mapping as its keys and values (never Python's
    repr), a web address (a `url`) as a link only when it is http(s)."""
    if isinstance(value, dict):
        parts = [
            f"{md(_label(str(k)))}: "
            + (f"({_value(v)})" if isinstance(v, dict | list) else _value(v, str(k)))
            for k, v in value.items()
        ]
        return ", ".join(parts) if parts else "none"
    if isinstance(value, list):
        between = "; " if any(isinstance(v, dict) for v in value) else ", "
        return between.join(_value(v) for v in value) if value else "none"
    if key == "url" and isinstance(value, str):
        return markdown_link(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not stated"
    return md(value)


def _source_lines(case: Case, refs: list[SourceRef] | list[dict[str, Any]]) -> list[str]:
    lines = []
    for ref in refs:
        ref_id = ref.id if isinstance(ref, SourceRef) else ref["id"]
        quote = ref.quote if isinstance(ref, SourceRef) else ref.get("quote")
        source = case.sources[ref_id]
        meta = ", ".join(
            md(part) for part in (source.publisher, source.date_as_stated or source.date) if part
        )
        line = f"- **{md(source.title)}**" + (f" ({meta})" if meta else "")
        if source.url:
            line += f"  \n  {markdown_link(source.url)}"
        if quote:
            line += f"  \n  > “{md(quote)}”"
        lines.append(line)
    return lines


def record_markdown(case: Case, record_id: str, records: pd.DataFrame | None = None) -> str | None:
    """The record with this id, from `records` (the case's and the researcher's) or the case."""
    frame = case.records if records is None else records
    rows = frame[frame["id"] == record_id]
    if rows.empty:
        return None
    row = rows.iloc[0]
    if row["layer"] != CASE_LAYER:
        return _researcher_markdown(row)
    props = row["properties"]
    kind = Kind(row["kind"])
    out = [f"### {md(row['name'])}", f"*{md(kind.label.rstrip('s'))}* · id: {md(row['id'])}", ""]
    if row["date"]:
        out.append(
            f"**Date as stated:** {md(row['date_as_stated'])}  \n"
            f"**Recorded as:** {md(row['date'])} ({md(row['date_precision'])} precision)"
        )
        out.append("")
    if props.get("confidence"):
        out.append(
            f"**Confidence:** {md(props['confidence'])}"
            f" (source's words: {md(props.get('confidence_as_stated') or 'none')})"
        )
        out.append("")
    out.append(
        f"**Position:** {row['lat']:.5f}, {row['lon']:.5f} "
        f"± {row['uncertainty_m']:,.0f} m  \n{md(props['position_basis'])}"
    )
    others = [
        f"- **{md(_label(key))}:** {_value(value)}"
        for key, value in props.items()
        if key not in _SHOWN_ELSEWHERE
    ]
    if others:
        out += ["", *others]
    claim = case.claims.get(row["claim"]) if row["claim"] else None
    if claim:
        out += [
            "",
            f"#### Claim ({md(claim.status.value)})",
            f"{md(claim.statement)}",
            "",
            f"**Claimed by:** {md(claim.claimant)}"
            + (f", {md(claim.claimant_person)}" if claim.claimant_person else ""),
            f"**When:** {md(claim.date_as_stated or claim.date or 'not stated')}  \n"
            f"**Confidence:** {md(claim.confidence.value)}",
        ]
        for contest in claim.contested_by:
            out += [
                "",
                f"**Contested by {md(contest.claimant)}**"
                f" ({md(contest.date_as_stated or contest.date or 'date not stated')}):"
                f" {md(contest.statement)}",
                *_source_lines(case, contest.sources),
            ]
    out += ["", "#### Sources", *_source_lines(case, props["sources"])]
    if props.get("position_sources"):
        out += ["", "#### Sources of the position", *_source_lines(case, props["position_sources"])]
    site_facts = [fact for fact in props.get("site_facts") or [] if isinstance(fact, dict)]
    if site_facts:
        out += ["", "#### Facts about the site"]
    for fact in site_facts:
        out.append(f"- {md(fact.get('fact'))}")
        out += ["  " + line for line in _source_lines(case, fact.get("sources") or [])]
    return "\n".join(out)


def _researcher_markdown(row: pd.Series) -> str:
    props = row["properties"]
    out = [
        f"### {md(row['name'])}",
        f"*{md(kind_label(row['kind']))}* in layer **{md(row['layer'])}** · id: {md(row['id'])}",
        "",
    ]
    if row["date"]:
        out += [
            f"**Date as stated:** {md(row['date_as_stated'] or row['date'])}  \n"
            f"**Recorded as:** {md(row['date'])} ({md(row['date_precision'])} precision)",
            "",
        ]
    if row["confidence"]:
        out += [f"**Confidence:** {md(row['confidence'])}", ""]
    geometry = row["geometry"]
    out += [f"**Geometry:** {md(geometry['type'])}, {md(measure(geometry).describe())}", ""]
    shown = [
        f"- **{md(_label(str(key)))}:** {_value(value)}"
        for key, value in props.items()
        if not str(key).startswith("_")
    ]
    if shown:
        out += ["#### Properties", *shown]
    return "\n".join(out)


def comments_markdown(comments: Sequence[Comment]) -> str:
    """The comments on a record, oldest first: who, when (UTC, to the minute), what.
    Each line of a comment stays a line; every character is the commenter's, as text."""
    if not comments:
        return "*No comments yet.*"
    out = []
    for comment in comments:
        when = comment.time[:16].replace("T", " ")
        lines = [md(line) for line in comment.text.splitlines() if line.strip()]
        out.append(f"**{md(comment.analyst)}** · {md(when)} UTC  \n" + "  \n".join(lines))
    return "\n\n".join(out)
