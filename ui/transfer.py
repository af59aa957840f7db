"""Import a layer from a file, and export the view or the whole case with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geo.case import Case
from geo.errors import NO_COORDINATE_COLUMNS, REPAIRABLE, DataError, GeoError
from geo.escape import escape_markdown as md
from geo.export import ExportView
from geo.formats import (
    BadRecords,
    DateChoice,
    DateFormat,
    DateOptions,
    Limits,
    Upload,
    csv_columns,
    read_upload,
)
from geo.formats.registry import upload_types
from geo.records import as_new_records, records_in_words
from geo.store import RECORD_BY, DamagedRow, HistoryEntry, Store, entry_note, left_out
from geo.transfer import (
    EXPORT_FORMATS,
    download,
    export,
    imported_source_files,
    record_comments,
    store_state,
)
from ui.annotate import require_analyst
from ui.state import page

# Changes shown at a time in the history: the rest are a page away.
HISTORY_PAGE = 200


def problems_table(error: DataError) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "record": [p.record or "" for p in error.problems],
                "name": [p.name or "" for p in error.problems],
                "field": [p.field or "" for p in error.problems],
                "problem": [p.message for p in error.problems],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _coordinate_pickers(file_id: str, file_name: str, data: bytes) -> None:
    """Two selects of the file's columns: which holds the latitude, which the longitude.
    Shown for a CSV whose coordinate columns could not be told from their names, and from
    then on for that file (their values are read before they are drawn, on the next run)."""
    try:
        headers = csv_columns(file_name, data)
    except DataError:
        return
    st.session_state[f"import_picking_{file_id}"] = True
    st.caption("Which columns hold the coordinates (decimal degrees, WGS84)?")
    left, right = st.columns(2)
    for column, axis in ((left, "Latitude"), (right, "Longitude")):
        column.selectbox(
            f"{axis} column",
            headers,
            index=None,
            placeholder="Choose a column",
            key=f"import_{axis.lower()}_{file_id}",
        )


def import_section(store: Store) -> bool:
    """The import form; True once a layer was stored."""
    upload = st.file_uploader(
        "GeoJSON, CSV with coordinates, KML/KMZ, GPX, GeoPackage, zipped shapefile, "
        "FlatGeobuf, or STAC items (JSON)",
        type=upload_types(),
        # a new key after each import empties the uploader for the next file
        key=f"upload_{page.imports_done}",
        help=f"At most {Limits().max_bytes // 1_000_000} MB and "
        f"{Limits().max_features:,} features. Nothing is stored unless every record is valid, "
        "or you choose to leave out those that are not.",
    )
    if upload is None:
        return False
    # Keyed by the file: another file gets its own name, not the last file's.
    layer = st.text_input(
        "Layer name", value=Path(upload.name).stem, key=f"import_layer_name_{upload.file_id}"
    )
    repair = st.checkbox(
        "Repair invalid geometries (shapely make_valid)",
        key="import_repair",
        help="Only if the check below reports invalid geometries. The original geometry is "
        "kept in the record's properties.",
    )
    data = upload.getvalue()
    # The columns chosen in the selects below, on an earlier run (None until both are).
    lat_column = st.session_state.get(f"import_latitude_{upload.file_id}")
    lon_column = st.session_state.get(f"import_longitude_{upload.file_id}")
    picking = st.session_state.get(f"import_picking_{upload.file_id}", False)
    chosen = (
        {"lat_column": lat_column, "lon_column": lon_column} if lat_column and lon_column else {}
    )
    read = {"layer": layer.strip(), "repair": repair, **chosen}
    try:
        with st.spinner("Checking the file…"):
            parsed = _read_once(upload.name, upload.file_id, data, read)
            # The date column and format are offered once the file has been read once.
            dates = date_picker(parsed.dates, upload.file_id)
            if dates is not None:
                parsed = _read_once(upload.name, upload.file_id, data, {**read, "dates": dates})
    except DataError as exc:
        st.error(
            f"{md(upload.name)} was not imported: {len(exc.problems)} "
            f"problem{'s' if len(exc.problems) != 1 else ''}. Nothing was stored."
        )
        problems_table(exc)
        if any(p.code == REPAIRABLE for p in exc.problems):
            st.info("Tick 'Repair invalid geometries' above to import the repaired shapes.")
        if picking or any(p.code == NO_COORDINATE_COLUMNS for p in exc.problems):
            _coordinate_pickers(upload.file_id, upload.name, data)
        if isinstance(exc, BadRecords) and _skip_chosen(exc.good):
            return _store_layer(store, layer.strip(), exc.good, upload.name, data)
        return False
    if picking:
        _coordinate_pickers(upload.file_id, upload.name, data)
    for warning in parsed.warnings:
        st.warning(md(warning))
    st.success(
        f"{records_in_words(len(parsed.records))} read from {md(upload.name)} "
        f"({md(parsed.format)})."
    )
    if not st.button("Store as a new layer", type="primary", key="import_go"):
        return False
    return _store_layer(store, layer.strip(), parsed, upload.name, data)


# How many readings of the uploaded file a session keeps: the first reading and one with
# the date column chosen.
_READINGS_KEPT = 2


def _read_once(name: str, file_id: str, data: bytes, options: dict[str, Any]) -> Upload:
    """`read_upload` of the uploaded file with `options`, or its `DataError`, read once
    per file and options: the page runs again on every click while a file waits in the
    uploader, and a large file (or GDAL's child process) would be read again each time."""
    readings: dict[tuple[str, str], Upload | DataError] = st.session_state.setdefault(
        "import_readings", {}
    )
    key = (file_id, repr(sorted(options.items())))
    if key not in readings:
        try:
            readings[key] = read_upload(name, data, **options)
        except DataError as exc:
            readings[key] = exc
        while len(readings) > _READINGS_KEPT:
            del readings[next(iter(readings))]
    result = readings[key]
    if isinstance(result, DataError):
        raise result.with_traceback(None)  # not a traceback longer with every run
    return result


def _skip_chosen(good: Upload) -> bool:
    """Offer to import the good records of a refused file and leave out the bad ones
    (listed above); True once the researcher chose to. Never a default: all or nothing
    stays what happens unless they press it."""
    kept, left_out = len(good.records), len(good.skipped)
    for warning in good.warnings:
        st.warning(md(warning))
    st.info(
        f"The file's other {records_in_words(kept)} have no problem. You can import them as "
        f"the layer and leave out the {records_in_words(left_out)} listed above: the import's "
        "history entry lists what was left out (position, name, why), next to the file kept "
        "as received."
    )
    these = "this one" if left_out == 1 else f"these {left_out:,}"
    return st.button(
        f"Import the {kept:,} good record{'s' if kept != 1 else ''} and skip {these}",
        key="import_skip_bad",
    )


def _store_layer(store: Store, layer: str, parsed: Upload, file_name: str, data: bytes) -> bool:
    """Store `parsed` as the new layer `layer`; True once it is stored."""
    analyst = require_analyst()
    if not analyst:
        return False
    try:
        with st.spinner(f"Storing {len(parsed.records):,} records…"):
            receipt = store.import_layer(
                layer,
                as_new_records(parsed.records),
                analyst=analyst,
                file_name=file_name,
                file_bytes=data,
                skipped=parsed.skipped,
            )
    except GeoError as exc:
        st.error(md(exc))
        return False
    page.imports_done += 1
    left_out = (
        f", {records_in_words(receipt.skipped)} of the file left out (listed in the history)"
        if receipt.skipped
        else ""
    )
    page.import_message = (
        f"Layer {receipt.layer}: {records_in_words(receipt.count)} stored{left_out}; the file is "
        f"kept as received (SHA-256 {receipt.sha256[:16]}…)."
    )
    return True


def date_picker(detected: DateChoice, key: str) -> DateOptions | None:
    """The date column, end column and format, the detected ones chosen at first; the
    options to read the file with again, or None while they are the ones detected."""
    if not detected.columns:  # a format that dates its records itself (STAC, our own)
        return None
    st.caption(
        "Each record's date comes from the column below (detected when the file was read): "
        "choose another, or the format its dates are written in, if it is wrong."
    )
    columns = ["", *detected.columns]
    left, middle, right = st.columns(3)

    def column_box(where: Any, label: str, chosen: str | None, none: str, name: str) -> str:
        return str(
            where.selectbox(
                label,
                columns,
                index=columns.index(chosen or ""),
                # plain text in a select box: the file's column names are shown as they are
                format_func=lambda column: column or none,
                key=f"import_date_{name}_{key}",
            )
        )

    column = column_box(
        left, "Date column", detected.column, "(none: the records stay undated)", "column"
    )
    end = column_box(
        middle, "Interval ends in (for a span)", detected.end_column, "(no end: one date)", "end"
    )
    fmt = right.selectbox(
        "Date format",
        list(DateFormat),
        format_func=lambda f: DateFormat(f).label,
        key=f"import_date_format_{key}",
    )
    if (column, end, fmt) == (detected.column or "", detected.end_column or "", detected.format):
        return None
    return DateOptions(column=column, end_column=end, format=DateFormat(fmt))


def export_section(
    case: Case,
    case_dir: Path,
    store: Store,
    shown: pd.DataFrame,
    everything: pd.DataFrame,
    view: ExportView,
    case_key: str,
) -> None:
    left, middle, right = st.columns(3)
    fmt = left.radio(
        "Format",
        list(EXPORT_FORMATS),
        format_func=lambda f: EXPORT_FORMATS[f],
        key="export_format",
        horizontal=True,
    )
    # Fixed labels: a label that changes with the counts would reset the choice.
    scope = middle.radio(
        "What",
        ["view", "all"],
        format_func={"view": "This view", "all": "Everything: case and my layers"}.get,
        key="export_scope",
        captions=[f"{len(shown):,} records", f"{len(everything):,} records"],
    )
    with_manifest = right.checkbox(
        "With a manifest (ZIP)",
        value=True,
        key="export_manifest",
        help="Tool version, export time, filters, record counts, and the SHA-256 of every "
        "exported file and of every file it derives from.",
    )
    records = shown if scope == "view" else everything
    name, data, mime = _cached_export(
        case_key,
        scope,
        fmt,
        view if scope == "view" else None,
        with_manifest,
        case,
        case_dir,
        store,
        records,
    )
    st.download_button(
        f"Download {name}", data=data, file_name=name, mime=mime, key="download_export"
    )


@st.cache_data(show_spinner="Preparing the export…", max_entries=8)
def _cached_export(
    case_key: str,
    scope: str,
    fmt: str,
    view: ExportView | None,
    with_manifest: bool,
    _case: Case,
    _case_dir: Path,
    _store: Store,
    _records: pd.DataFrame,
) -> tuple[str, bytes, str]:
    # The key is the case and store version, the scope, the filters and the format:
    # together they decide which records are exported.
    result = export(
        _case,
        _records,
        fmt=fmt,
        view=view,
        case_dir=_case_dir,
        imported_files=imported_source_files(_store),
        with_manifest=with_manifest,
        store=store_state(_store),
        comments=record_comments(_store),
    )
    return download(result)


def _signed(entry: HistoryEntry) -> str:
    """Who made the change, and who made the record if that was someone else."""
    record_by = entry.change.get(RECORD_BY)
    return f"{entry.analyst} (record by {record_by})" if record_by else entry.analyst


def history_section(store: Store, damaged: list[DamagedRow]) -> None:
    """The case's changes and those of no case, newest first; the records that could not
    be read (`damaged`, from `Store.damaged`); and a check of the hash chain and the
    kept files."""
    if damaged:
        st.error(
            f"{records_in_words(len(damaged))} in the store could not be read (changed outside the "
            "app, or damaged on disk). They are left out of the map, the counts and the "
            "exports; the rest of the evidence is unaffected."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "record": [row.record_id for row in damaged],
                    "layer": [row.layer for row in damaged],
                    "what is wrong": [row.reason for row in damaged],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    head = store.latest()
    # The case's own changes and those of no case, not other cases' (Store.history).
    listed = store.history_count() if head is not None else 0
    if head is None or listed == 0:
        st.caption("No changes yet: what you draw, edit, delete or import is listed here.")
        if head is None:
            return
    # A page at a time: the history grows with every change, the page does not.
    pages = -(-listed // HISTORY_PAGE)
    number = 1
    if pages > 1:
        number = int(
            st.number_input(
                "Page of the history, newest first",
                min_value=1,
                max_value=pages,
                value=1,
                step=1,
                key="history_page",
                help=f"{HISTORY_PAGE} changes a page; page 1 holds the latest.",
            )
        )
    skip = (number - 1) * HISTORY_PAGE
    entries = store.history(newest=HISTORY_PAGE, skip=skip) if listed else []
    if pages > 1:
        st.caption(
            f"Changes {skip + 1:,} to {skip + len(entries):,} of {listed:,}, counted "
            "from the latest."
        )
    st.dataframe(
        pd.DataFrame(
            {
                "#": [e.seq for e in entries],
                "time (UTC)": [e.time for e in entries],
                "analyst": [_signed(e) for e in entries],
                "action": [str(e.action) for e in entries],
                "record": [e.record_id or "" for e in entries],
                "layer": [e.layer for e in entries],
                "hash": [e.hash[:16] for e in entries],
                # an import's records the analyst chose to leave out, and why
                "left out": ["; ".join(map(str, left_out(e))) for e in entries],
                # a comment's text; who was given which role
                "note": [entry_note(e) for e in entries],
            }
        ).iloc[::-1],
        hide_index=True,
        width="stretch",
    )
    if st.button("Verify the history and the kept files", key="verify_store"):
        with st.spinner("Recomputing the hash chain and the files' SHA-256…"):
            problems = store.verify()
        if problems:
            st.error(f"{len(problems)} integrity problems:")
            st.dataframe(pd.DataFrame({"problem": problems}), hide_index=True, width="stretch")
        else:
            st.success(
                f"Intact: {head.entries} history entries (every case's) chain to the "
                "latest hash below, and every kept file matches its SHA-256."
            )
        # The chain cannot tell that its last entries were removed: a hash noted
        # outside the store (in a report) can, with `python -m geo verify --expect`.
        st.caption(
            "Latest hash of the whole store: every case's changes chain to it, so the "
            "latest entry may be another case's. Note it in your report to check this "
            "store against later."
        )
        st.code(head.hash, language=None)
