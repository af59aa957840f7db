"""Accepted mentions as places: each one's source is the text, its sentence the quote."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from geo.extract.match import Mention
from geo.gazetteer import Candidate, place_record
from geo.records import LayerRecord


def mention_records(
    accepted: Iterable[tuple[Mention, Candidate]], *, text_name: str, text_bytes: bytes
) -> list[LayerRecord]:
    """A place record for each mention the researcher accepted, as the place they chose
    (the gazetteer's first guess or a correction). Each cites the text, by its name and
    SHA-256 (the store keeps the text as received), with the sentence as the quote, and
    keeps the words the text used. The layer is left for the import to name."""
    sha256 = hashlib.sha256(text_bytes).hexdigest()
    records = []
    for mention, chosen in accepted:
        record = place_record(chosen, layer="")
        source = {"text": text_name, "sha256": sha256, "quote": mention.sentence}
        properties = record.properties | {"mentioned_as": mention.surface, "sources": [source]}
        records.append(replace(record, properties=properties))
    return records
