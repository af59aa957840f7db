"""What an image may declare, checked from its header before a pixel is read.

GDAL reads a raster's size, bands and type when it opens the file, without
decoding any pixels; `size_problems` refuses what would take too long or too
much memory to draw, so a decompression bomb (a small file that declares a
huge image) costs nothing but the open.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024

# Formats GDAL decodes from the start of the file for any window its cache misses:
# drawing one tile may decode every row above it.
SEQUENTIAL_DRIVERS = frozenset({"JPEG", "PNG"})


@dataclass(frozen=True)
class RasterLimits:
    """What an image may declare; each is refused before any pixel is read."""

    # Samples of one image (width × height × bands): 40,000 × 40,000 pixels of four bands
    # (red, green, blue and alpha or near-infrared). At 0.5 m a pixel that is 20 km
    # square, more than a site or a town; decoded, 6.4 GB at one byte a sample, which is
    # why tiles and previews only ever read windows and overviews.
    max_samples: int = 40_000 * 40_000 * 4
    # Pictures have 1 to 5 bands and multispectral products up to about 16; hundreds are
    # a hyperspectral cube, which the explorer cannot draw (it draws three at most), and
    # GDAL builds an object per band when it opens the file.
    max_bands: int = 64
    # Declared (decoded) size over bytes on disk. Imagery compresses 1 to 30 times
    # (JPEG inside a TIFF about 10 to 20, more with wide empty margins); deflate cannot
    # pass about 1,032 to 1. Beyond 1,000 the file is mostly empty (sparse) or a bomb.
    max_compression_ratio: float = 1_000.0
    # Below this declared size the ratio is not checked: decoding all of it is cheap, and
    # a small, mostly empty image may well compress more than 1,000 to 1.
    ratio_checked_from: int = 64 * MB
    # Pixels of a JPEG or PNG (SEQUENTIAL_DRIVERS). The first low-zoom tile of a
    # 10,000 × 10,000 PNG took 2 s on the project's 2-core machine; 40,000 × 40,000 would
    # take about 30 s for every tile the cache misses. Larger pictures: as a GeoTIFF.
    max_sequential_pixels: int = 10_000 * 10_000
    # Sides of a tile and of a preview, in pixels: they are decoded whole in memory.
    max_tile_size: int = 1024
    max_preview_size: int = 4096


def size_problems(
    *,
    width: int,
    height: int,
    bands: int,
    bytes_per_sample: int,
    file_bytes: int,
    driver: str,
    limits: RasterLimits,
) -> list[str]:
    """Why an image of this declared size cannot be drawn, in words (empty when it can)."""
    problems = []
    samples = width * height * bands
    if samples > limits.max_samples:
        problems.append(
            f"it declares {width:,} × {height:,} pixels of {bands} band"
            f"{'s' if bands != 1 else ''} ({samples:,} values), over the limit of "
            f"{limits.max_samples:,}: crop it to the area you need"
        )
    if bands > limits.max_bands:
        problems.append(
            f"it has {bands:,} bands, over the limit of {limits.max_bands}: keep the "
            "bands you want to see"
        )
    declared = samples * bytes_per_sample
    if declared >= limits.ratio_checked_from and file_bytes > 0:
        ratio = declared / file_bytes
        if ratio > limits.max_compression_ratio:
            problems.append(
                f"it declares {declared / MB:,.0f} MB of pixels in a file of "
                f"{file_bytes / MB:,.2f} MB ({ratio:,.0f} to 1, over the limit of "
                f"{limits.max_compression_ratio:,.0f} to 1): a file this empty is refused "
                "as a possible decompression bomb; crop it to the area that has pixels"
            )
    if driver in SEQUENTIAL_DRIVERS and width * height > limits.max_sequential_pixels:
        problems.append(
            f"a {driver} picture of {width:,} × {height:,} pixels is over the limit of "
            f"{limits.max_sequential_pixels:,} pixels for that format, which is decoded "
            "from its start for each part drawn: convert it to a (tiled) GeoTIFF"
        )
    return problems
