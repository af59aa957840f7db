"""The researcher's images: how the map draws them (opacity, two dates compared),
importing one, and georeferencing a released picture. Widgets only: the work is in
`geo.imagery`, `geo.georef` and `geo.compare`."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw
from streamlit_folium import st_folium
from streamlit_image_coordinates import streamlit_image_coordinates

from geo.assets import localize_assets
from geo.compare import CompareMode, Comparison, ImageLayer, image_tile_layer, image_title
from geo.errors import NO_CRS, NOT_GEOREFERENCED, DataError, GeoError
from geo.escape import escape_markdown as md
from geo.formats.registry import IMAGES
from geo.georef import ControlPoint, Fit, Method, clicked_pixel, fit, picture_size, read_points
from geo.imagery import describe_raster, preview_png, write_upload
from geo.imagery.importing import ImageryFacts, import_georeferenced, import_image
from geo.imagery.layers import in_date_order
from geo.store import ImportReceipt, Store
from ui.annotate import require_analyst
from ui.state import Page, page
from ui.transfer import problems_table

PICTURE_TYPES = [extension.lstrip(".") for extension in IMAGES]
SIDECAR_TYPES = ["wld", "jgw", "pgw", "tfw", "xml"]
# Wide enough to place a point to a few of the picture's pixels, small enough to send.
SHOWN_PICTURE_WIDTH = 900
METHOD_WORDS = {
    Method.AFFINE.value: "Affine (3 points or more)",
    Method.POLYNOMIAL.value: "Second-order polynomial (6 or more)",
}
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


def image_controls(
    images: Sequence[ImageLayer], starts: dict[str, pd.Timestamp]
) -> tuple[float, Comparison | None]:
    """The sidebar's image switches: the opacity of the images, and two images compared
    (earlier and later by their dates); `images` are those the map can draw."""
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


def _stored_with_facts(
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
            return store_it(facts, analyst)
    except DataError as exc:
        st.error("Not stored: the form or the image has problems. Nothing was kept.")
        problems_table(exc)
    except GeoError as exc:
        st.error(md(exc))
    return None


def _stored(message: str) -> bool:
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
    receipt = _stored_with_facts(
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
    return _stored(
        f"Image {receipt.layer} stored; the file is kept as received "
        f"(SHA-256 {receipt.sha256[:16]}…)."
    )


# --- georeferencing a released picture


def _shown_picture(data: bytes, points: Sequence[ControlPoint]) -> tuple[Image.Image, float]:
    """The picture as drawn on the page (at most SHOWN_PICTURE_WIDTH wide), with its
    control points numbered; and the scale from the picture to the drawing."""
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    scale = min(1.0, SHOWN_PICTURE_WIDTH / picture.width)
    if scale < 1.0:
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)))
    draw = ImageDraw.Draw(picture)
    for number, point in enumerate(points, start=1):
        x, y = point.column * scale, point.row * scale
        colour = "#D55E00" if point.enabled else "#999999"
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), outline=colour, width=3)
        draw.text((x + 8, y - 8), str(number), fill=colour)
    return picture, scale


def _points_map(
    centre: tuple[float, float],
    zoom: int,
    images: Sequence[ImageLayer],
    online: bool,
) -> folium.Map:
    m = folium.Map(location=list(centre), zoom_start=zoom, tiles=None, control_scale=True)
    if online:
        folium.TileLayer("Esri.WorldImagery", name="Esri imagery").add_to(m)
    for image in images:
        image_tile_layer(image).add_to(m)
    localize_assets(m)
    return m


def _point_markers(points: Sequence[ControlPoint]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="control points")
    for number, point in enumerate(points, start=1):
        folium.CircleMarker(
            [point.lat, point.lon],
            radius=6,
            color="#D55E00" if point.enabled else "#999999",
            tooltip=f"Point {number}",
        ).add_to(group)
    return group


def _new_click(key: str, serial: object) -> bool:
    # st_folium and the picture repeat their last click on every rerun: act once on each.
    mark = f"{key}:{serial}"
    if serial is None or mark in page.georef_clicks:
        return False
    page.georef_clicks.add(mark)
    return True


def _points_table(points: Sequence[ControlPoint], fitted: Fit | None) -> pd.DataFrame:
    residuals = fitted.residuals if fitted is not None else ()
    return pd.DataFrame(
        {
            "use": [p.enabled for p in points],
            "column": [p.column for p in points],
            "row": [p.row for p in points],
            "lon": [p.lon for p in points],
            "lat": [p.lat for p in points],
            "residual (m)": [r.metres for r in residuals] or [None] * len(points),
            "residual (px)": [r.pixels for r in residuals] or [None] * len(points),
            "placed by": [p.placed_by or "" for p in points],
        },
        index=pd.RangeIndex(1, len(points) + 1, name="point"),
    )


def georeference_section(
    store: Store,
    images: Sequence[ImageLayer],
    centre: tuple[float, float],
    zoom: int,
    online: bool,
) -> bool:
    """Place a released picture with control points; True once it was stored."""
    upload = st.file_uploader(
        "A released picture (JPEG or PNG) with no georeference",
        type=["jpg", "jpeg", "png"],
        key=f"georef_upload_{page.imports_done}",
        help="The picture is kept exactly as released; the georeferenced copy is derived.",
    )
    if upload is None:
        st.caption(
            "Pair spots on the picture with the same spots on the map (at least 3 for an "
            "affine fit, 6 for a second-order polynomial). Each point's residual and the RMS "
            "error are shown; the points are kept with the record."
        )
        return False
    data = upload.getvalue()
    try:
        size = picture_size(data, file=upload.name)
    except DataError as exc:
        st.error(f"{md(upload.name)} cannot be read as a picture.")
        problems_table(exc)
        return False
    if page.georef_picture != upload.file_id:
        page.georef_picture = upload.file_id
        page.georef_points, page.georef_pixel, page.georef_lonlat = [], None, None
    points_upload = st.file_uploader(
        "Control points saved by QGIS's georeferencer (.points), if you have them",
        type=["points"],
        key=f"georef_points_{page.imports_done}",
        help="Its points replace those placed so far.",
    )
    if points_upload is not None and page.georef_points_file != points_upload.file_id:
        page.georef_points_file = points_upload.file_id
        try:
            read = read_points(points_upload.getvalue(), file=points_upload.name)
        except DataError as exc:
            st.error(f"{md(points_upload.name)} was not read.")
            problems_table(exc)
        else:
            page.georef_points = list(read.points)
            for warning in read.warnings:
                st.warning(md(warning))
    points = page.georef_points
    shown, scale = _shown_picture(data, points)
    left, right = st.columns(2)
    with left:
        st.markdown("**1. Click a spot on the picture**")
        click = streamlit_image_coordinates(
            shown, key=f"georef_picture_{upload.file_id}", cursor="crosshair"
        )
        if click and _new_click("picture", click.get("unix_time")):
            page.georef_pixel = clicked_pixel(
                click["x"], click["y"], shown=(click["width"], click["height"]), size=size
            )
    with right:
        st.markdown("**2. Click the same spot on the map**")
        state = st_folium(
            _points_map(centre, zoom, images, online),
            height=min(max(shown.height, 450), 600),  # room for clicks above the attribution
            use_container_width=True,
            feature_group_to_add=_point_markers(points),
            returned_objects=["last_clicked"],
            key=f"georef_map_{upload.file_id}",
        )
        clicked = (state or {}).get("last_clicked")
        if isinstance(clicked, dict) and _new_click("map", (clicked["lat"], clicked["lng"])):
            page.georef_lonlat = (float(clicked["lng"]), float(clicked["lat"]))
    pixel, lonlat = page.georef_pixel, page.georef_lonlat
    picture_text = f"column {pixel[0]:.1f}, row {pixel[1]:.1f}" if pixel else "not clicked yet"
    map_text = f"{lonlat[1]:.6f}, {lonlat[0]:.6f}" if lonlat else "not clicked yet"
    st.caption(
        f"Picture: {picture_text} · Map: {map_text} "
        f"(picture {size[0]:,} × {size[1]:,} pixels, drawn at {scale:.0%})"
    )
    if st.button("Add this pair as a control point", disabled=not (pixel and lonlat)):
        analyst = require_analyst()
        if analyst and pixel and lonlat:
            points.append(
                ControlPoint(
                    pixel[0],
                    pixel[1],
                    lonlat[0],
                    lonlat[1],
                    placed_by=analyst,
                    placed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
            page.georef_pixel = page.georef_lonlat = None
            st.rerun()
    if not points:
        return False
    method = Method(
        st.radio(
            "Fit",
            [m.value for m in Method],
            format_func=METHOD_WORDS.__getitem__,
            key="georef_method",
            horizontal=True,
        )
    )
    fitted: Fit | None = None
    try:
        fitted = fit(points, size=size, method=method)
    except DataError as exc:
        st.warning("No fit yet:")
        problems_table(exc)
    table = st.data_editor(
        _points_table(points, fitted),
        key=f"georef_table_{upload.file_id}_{len(points)}",
        disabled=["column", "row", "lon", "lat", "residual (m)", "residual (px)", "placed by"],
        column_config={
            "use": st.column_config.CheckboxColumn(help="Untick to leave a point out of the fit"),
            "column": st.column_config.NumberColumn(format="%.1f"),
            "row": st.column_config.NumberColumn(format="%.1f"),
            "lon": st.column_config.NumberColumn(format="%.6f"),
            "lat": st.column_config.NumberColumn(format="%.6f"),
            "residual (m)": st.column_config.NumberColumn(format="%.2f"),
            "residual (px)": st.column_config.NumberColumn(format="%.2f"),
        },
        width="stretch",
    )
    enabled = [bool(v) for v in table["use"]]
    if enabled != [p.enabled for p in points]:
        page.georef_points = [p.with_enabled(e) for p, e in zip(points, enabled, strict=True)]
        st.rerun()
    drop = st.selectbox(
        "Remove a point",
        [None, *range(1, len(points) + 1)],
        format_func=lambda n: "—" if n is None else f"Point {n}",
        key=f"georef_drop_{len(points)}",
    )
    if drop is not None:
        del points[drop - 1]
        st.rerun()
    if fitted is None:
        return False
    st.metric(
        "RMS error",
        f"{fitted.rms_m:.2f} m · {fitted.rms_px:.2f} px",
        help=f"Over the {fitted.used} points used; kept with the record, with every point "
        "and its residual.",
    )
    for warning in fitted.warnings:
        st.warning(md(warning))
    st.download_button(
        "Control points for QGIS (.points)",
        fitted.points_text().encode("utf-8"),
        file_name=f"{Path(upload.name).name}.points",
        mime="text/plain",
    )
    receipt = _stored_with_facts(
        f"georef_{page.imports_done}",
        Path(upload.name).stem,
        "Georeferencing and keeping the picture…",
        lambda facts, analyst: import_georeferenced(
            store, data, fitted, file_name=upload.name, facts=facts, analyst=analyst
        ),
    )
    if receipt is None:
        return False
    page.georef_picture = None
    return _stored(
        f"Picture {receipt.layer} georeferenced (RMS {fitted.rms_m:.2f} m) and stored; the "
        f"picture is kept as released (SHA-256 {receipt.sha256[:16]}…)."
    )
