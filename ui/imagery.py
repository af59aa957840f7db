"""The researcher's images: how the map draws them (opacity, two dates compared), and
importing one with what the researcher states about it (`facts_form`, also used by
`ui.georef`). Widgets only: the work is in `geo.imagery` and `geo.compare`."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.compare import CompareMode, Comparison, ImageLayer, image_title
from geo.dates import parse_date
from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, GeoError
from geo.escape import escape_markdown as md
from geo.formats.registry import IMAGES
from geo.imagery import describe_raster, preview_png, write_upload
from geo.imagery.importing import ImageryFacts, import_image
from geo.imagery.layers import in_date_order
from geo.store import ImportReceipt, Store
from geo.viewstate import quoted
from ui.annotate import require_analyst
from ui.state import Page, page
from ui.transfer import problems_table

PICTURE_TYPES = [extension.lstrip(".") for extension in IMAGES]
SIDECAR_TYPES = ["wld", "jgw", "pgw", "tfw", "xml"]
MODE_WORDS = {
    CompareMode.SWIPE: "Swipe",
    CompareMode.FADE: "Fade",
    CompareMode.TOGGLE: "Toggle",
}


# --- how the map draws the images


@dataclass(frozen=True)
class MapImages:
    """The researcher's images as the map draws them: those of records shown (`shown`),
    every one there is (`every`: observations may cite any), how opaque, and two compared."""

    shown: tuple[ImageLayer, ...] = ()
    every: tuple[ImageLayer, ...] = ()
    opacity: float = 1.0
    comparison: Comparison | None = None

    @property
    def signature(self) -> tuple[object, ...]:
        """What the map's script is built from (another remounts the map)."""
        return (tuple(i.record_id for i in self.shown), self.opacity, self.comparison)


def _keep_choice(key: str, options: Sequence[str]) -> None:
    # A choice from a link, or of an image since deleted, is not an option: the first is.
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]


def _drop_missing_comparison(drawable: set[str]) -> None:
    """A comparison of an image that is not one of `drawable` (a link's, or one deleted
    since) is turned off and said, rather than another image compared in its place.
    Before the widgets: their values cannot change once drawn."""
    if page.comparing:
        gone = [
            chosen
            for chosen in (page.compare_first, page.compare_second)
            if chosen is not None and chosen not in drawable
        ]
        if gone:
            page.comparing = False
            page.compare_first = page.compare_second = None
            page.compare_missing = gone[0]
        else:
            page.compare_missing = None
    if page.compare_missing is not None:
        st.warning(
            f"No image {md(quoted(page.compare_missing))} of yours to compare (it is not "
            "there, or has no pixels to draw): no comparison is shown. Turn on 'Compare two "
            "dates' to choose two images."
        )


def image_controls(
    images: Sequence[ImageLayer], starts: dict[str, pd.Timestamp]
) -> tuple[float, Comparison | None]:
    """The sidebar's image switches: the opacity of the images, and two images compared
    (earlier and later by their dates); `images` are those the map can draw."""
    _drop_missing_comparison({image.record_id for image in images})
    if not images:
        return 1.0, None
    st.sidebar.subheader("Your images")
    # Read once before the widgets: a widget's first value is its slot's default (a
    # slider's own would be its minimum, images drawn fully transparent).
    page.image_opacity, page.divider, page.compare_mode  # noqa: B018
    opacity = st.sidebar.slider(
        "Opacity of your images", 0.0, 1.0, step=0.05, key=Page.image_opacity.key
    )
    comparing = st.sidebar.toggle(
        "Compare two dates",
        key=Page.comparing.key,
        disabled=len(images) < 2,
        help="Two of your images side by side on the map: the earlier left of a divider, the "
        "later right of it, each labelled with its date as stated."
        + ("" if len(images) > 1 else " Import a second image to compare."),
    )
    if not comparing or len(images) < 2:
        return opacity, None
    by_id = {image.record_id: image for image in images}
    ids = list(by_id)

    def title(record_id: str) -> str:
        # a select box shows its options as plain text (a radio's would be Markdown)
        return image_title(by_id[record_id])

    _keep_choice(Page.compare_first.key, ids)
    first = st.sidebar.selectbox("One image", ids, format_func=title, key=Page.compare_first.key)
    others = [i for i in ids if i != first]
    _keep_choice(Page.compare_second.key, others)
    second = st.sidebar.selectbox(
        "The other image", others, format_func=title, key=Page.compare_second.key
    )
    mode = st.sidebar.radio(
        "How",
        list(CompareMode),
        format_func=MODE_WORDS.__getitem__,
        key=Page.compare_mode.key,
        horizontal=True,
    )
    label = {
        CompareMode.SWIPE: "Divider (0: all the later image, 1: all the earlier)",
        CompareMode.FADE: "Opacity of the later image",
        CompareMode.TOGGLE: "Shown: the earlier below 0.5, the later from 0.5",
    }[CompareMode(mode)]
    position = st.sidebar.slider(label, 0.0, 1.0, step=0.05, key=Page.divider.key)
    assert first is not None and second is not None  # the options are never empty
    earlier, later = in_date_order(by_id[first], by_id[second], starts)
    return opacity, Comparison(earlier, later, CompareMode(mode), position)


# --- importing an image


def _split_upload(files: Sequence[object]) -> tuple[object | None, object | None]:
    picture = sidecar = None
    for upload in files:
        suffix = Path(getattr(upload, "name", "")).suffix.lower().lstrip(".")
        if suffix in SIDECAR_TYPES:
            sidecar = upload
        else:
            picture = upload
    return picture, sidecar


def facts_form(prefix: str, name: str) -> tuple[ImageryFacts, bool]:
    """The researcher's facts about an image, and whether they asked to store it."""
    with st.form(f"{prefix}_facts"):
        title = st.text_input("Name", value=name, key=f"{prefix}_name")
        left, right = st.columns(2)
        date = left.text_input(
            "Acquisition date",
            key=f"{prefix}_date",
            help="As precise as the source says: 2015, 2015-01 (January 2015) or 2015-01-18; "
            "an interval as 2013/2016. Leave empty if it is not known: no date is read "
            "from the file.",
        )
        as_stated = right.text_input(
            "Date in the source's words", key=f"{prefix}_as_stated", help="e.g. January 2015"
        )
        provider = left.text_input("Provider, if known", key=f"{prefix}_provider")
        sensor = right.text_input("Sensor, if known", key=f"{prefix}_sensor")
        released_by = left.text_input("Released by", key=f"{prefix}_released_by")
        released_on = right.text_input(
            "Released on", key=f"{prefix}_released_on", help="2017-05-15, 2017-05 or 2017"
        )
        source = st.text_input("Source (title)", key=f"{prefix}_source")
        url = st.text_input("Source address", key=f"{prefix}_url")
        quote = st.text_area("The source's words about this image", key=f"{prefix}_quote")
        store_it = st.form_submit_button("Store as an imagery record", type="primary")

    def given(text: str) -> str | None:
        return text.strip() or None

    facts = ImageryFacts(
        name=title.strip(),
        date=given(date),
        date_as_stated=given(as_stated),
        provider=given(provider),
        sensor=given(sensor),
        released_by=given(released_by),
        released_on=given(released_on),
        source_title=given(source),
        source_url=given(url),
        source_quote=given(quote),
    )
    return facts, store_it


def stored_with_facts(
    prefix: str,
    name: str,
    working: str,
    store_it: Callable[[ImageryFacts, str], ImportReceipt],
) -> ImportReceipt | None:
    """The facts form; once submitted and signed, `store_it(facts, analyst)`, with every
    problem shown. None until something was stored."""
    facts, asked = facts_form(prefix, name)
    if not asked:
        return None
    analyst = require_analyst()
    if not analyst:
        return None
    try:
        with st.spinner(working):
            receipt = store_it(facts, analyst)
    except DataError as exc:
        st.error("Not stored: the form or the image has problems. Nothing was kept.")
        problems_table(exc)
        return None
    except GeoError as exc:
        st.error(md(exc))
        return None
    if facts.date is not None:  # a new image outside the date filter is shown, not hidden
        span = parse_date(facts.date)
        page.reveal_later(span.start, span.end)
    return receipt


def stored(message: str) -> bool:
    page.imports_done += 1
    page.import_message = message
    return True


def import_image_section(store: Store) -> bool:
    """Import a georeferenced image; True once one was stored."""
    files = st.file_uploader(
        "A georeferenced image: GeoTIFF, or a JPEG or PNG with its world file",
        type=PICTURE_TYPES + SIDECAR_TYPES,
        accept_multiple_files=True,
        key=f"image_upload_{page.imports_done}",
        help="Choose the picture and its world file (.jgw, .pgw, .wld) or .aux.xml together. "
        "The file is kept exactly as received, under its SHA-256.",
    )
    picture, sidecar = _split_upload(files or [])
    if picture is None:
        return False
    name = str(getattr(picture, "name", "image"))
    data: bytes = picture.getvalue()  # type: ignore[attr-defined]
    sidecar_bytes: bytes | None = sidecar.getvalue() if sidecar is not None else None  # type: ignore[attr-defined]
    crs = (
        st.text_input(
            "Coordinate system, if the file names none",
            key=f"image_crs_{page.imports_done}",
            placeholder="EPSG:32637",
            help="A world file gives a position but no coordinate system.",
        ).strip()
        or None
    )
    with tempfile.TemporaryDirectory(prefix="image-") as folder:
        try:
            with st.spinner("Reading the image…"):
                path = write_upload(Path(folder), data, name, sidecar_bytes, crs=crs)
                info = describe_raster(path)
                preview = preview_png(path, 640)
        except DataError as exc:
            codes = {p.code for p in exc.problems}
            st.error(f"{md(name)} cannot be drawn on the map. Nothing was stored.")
            problems_table(exc)
            if NOT_GEOREFERENCED in codes:
                st.info("It has no place on Earth: place it with 'Georeference a picture'.")
            if NO_CRS in codes:
                st.info("Name its coordinate system above (for example EPSG:32637).")
            return False
    left, right = st.columns([2, 3])
    left.image(preview, caption=f"{info.width:,} × {info.height:,} pixels, {info.crs_name}")
    west, south, east, north = info.bounds
    right.markdown(
        f"**Where:** {south:.5f}° to {north:.5f}° N, {west:.5f}° to {east:.5f}° E  \n"
        f"**Pixel size:** {info.resolution_m[0]:.2f} × {info.resolution_m[1]:.2f} m"
        + (" (approximate)" if info.resolution_approximate else "")
    )
    if info.stated_in_file:
        right.caption("What the file itself states (never taken as the image's date):")
        right.dataframe(
            pd.DataFrame(
                {
                    "tag": [s.name for s in info.stated_in_file],
                    "value": [s.value for s in info.stated_in_file],
                    "what it is": [s.meaning for s in info.stated_in_file],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    receipt = stored_with_facts(
        f"image_{page.imports_done}",
        Path(name).stem,
        "Keeping the file and making its display copy…",
        lambda facts, analyst: import_image(
            store,
            data,
            file_name=name,
            facts=facts,
            analyst=analyst,
            sidecar=sidecar_bytes,
            crs=crs,
        ),
    )
    if receipt is None:
        return False
    return stored(
        f"Image {receipt.layer} stored; the file is kept as received "
        f"(SHA-256 {receipt.sha256[:16]}…)."
    )
