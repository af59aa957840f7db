"""Georeferencing a released picture on the page: the picture and a map side by side,
a click on each makes a control point, the fit's residuals and RMS error, and the
picture stored as an imagery record placed by the fit. Widgets only: the work is in
`geo.georef` and `geo.imagery.importing`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw
from streamlit_folium import st_folium
from streamlit_image_coordinates import streamlit_image_coordinates

from geo.assets import localize_assets
from geo.compare import ImageLayer, image_tile_layer
from geo.errors import DataError
from geo.escape import escape_markdown as md
from geo.georef import (
    ControlPoint,
    Fit,
    Method,
    clicked_pixel,
    fit,
    picture_rgb,
    picture_size,
    read_points,
)
from geo.imagery.importing import import_georeferenced
from geo.store import Store
from ui.annotate import require_analyst
from ui.imagery import stored, stored_with_facts
from ui.state import page
from ui.transfer import problems_table

# Wide enough to place a point to a few of the picture's pixels, small enough to send.
SHOWN_PICTURE_WIDTH = 900
METHOD_WORDS = {
    Method.AFFINE.value: "Affine (3 points or more)",
    Method.POLYNOMIAL.value: "Second-order polynomial (6 or more)",
}


def _shown_picture(
    picture: Image.Image, points: Sequence[ControlPoint]
) -> tuple[Image.Image, float]:
    """The picture (decoded, RGB) as drawn on the page (at most SHOWN_PICTURE_WIDTH wide),
    with its control points numbered; and the scale from the picture to the drawing."""
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
        decoded = picture_rgb(data, file=upload.name)
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
    shown, scale = _shown_picture(decoded, points)
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
    receipt = stored_with_facts(
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
    return stored(
        f"Picture {receipt.layer} georeferenced (RMS {fitted.rms_m:.2f} m) and stored; the "
        f"picture is kept as released (SHA-256 {receipt.sha256[:16]}…)."
    )
