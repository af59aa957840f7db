"""The pixels of a stored catalogue record, fetched only when the researcher asks: the
size first (`download_size`), then the file, with progress and bounded by
`StacConfig.max_download_bytes`, into a temporary file, then imported with
`geo.imagery.importing.import_image` as an imagery record of its own. Nothing is stored
unless the whole file arrived and was imported."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from geo.access import Signer
from geo.errors import CatalogueBadResponse, CatalogueTimedOut, CatalogueTooLarge, DataError
from geo.geocode.clock import SYSTEM_CLOCK, Clock
from geo.geocode.failures import seconds
from geo.imagery.importing import import_image
from geo.records import LayerRecord
from geo.stac.config import StacConfig
from geo.stac.failures import STILL_WORKS, translate
from geo.stac.records import is_catalogue_record, pixel_facts, record_assets
from geo.stac.results import StacAsset
from geo.stac.transport import RequestsTransport, Transport
from geo.store import ImportReceipt, Store

Progress = Callable[[int, int | None], None]  # bytes done, total (None when unknown)


def megabytes(size: int) -> str:
    """A size as the page writes it, in kB and MB of 1,024 and 1,048,576 bytes: '31 kB',
    '0.25 MB', '4.2 MB', '187 MB' (so the default maximum reads 500 MB)."""
    value = size / (1024 * 1024)
    if value < 0.1:
        return f"{size / 1024:,.0f} kB"
    if value < 1:
        return f"{value:.2f} MB"
    return f"{value:.1f} MB" if value < 10 else f"{value:,.0f} MB"


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _length(headers: Mapping[str, str]) -> int | None:
    text = headers.get("Content-Length") or headers.get("content-length")
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def asset_of(record: LayerRecord, key: str) -> StacAsset:
    """The asset `key` of a stored catalogue record; DataError if it offers none."""
    if not is_catalogue_record(record):
        raise DataError(f"{record.name!r} is not an item of an online catalogue")
    asset = next((a for a in record_assets(record) if a.key == key), None)
    if asset is None:
        raise DataError(f"{record.name!r} offers no file {key!r} that can be downloaded")
    return asset


def download_size(
    asset: StacAsset, config: StacConfig, transport: Transport | None = None
) -> int | None:
    """The file's size in bytes: as the catalogue states it (file:size), else as the server
    answers a HEAD request (Content-Length); None when neither says."""
    if asset.size is not None:
        return asset.size
    transport = transport or RequestsTransport(config)
    host = _host(asset.href)
    try:
        headers = transport.head(asset.href)
    except Exception as exc:
        raise translate(exc, host=host, timeout=config.timeout, action="download") from exc
    return _length(headers)


def download(
    asset: StacAsset,
    target: Path,
    config: StacConfig,
    *,
    transport: Transport | None = None,
    progress: Progress | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """Write the asset's file to `target`; its size. Refuses a file larger than
    `config.max_download_bytes` before reading it (or as soon as it grows past it), and
    stops after `config.max_download_seconds`; `target` is removed on any failure."""
    transport = transport or RequestsTransport(config)
    host = _host(asset.href)
    limit = config.max_download_bytes
    started = clock.now()
    done = 0
    try:
        with transport.get(asset.href) as (headers, body), target.open("wb") as out:
            total = _length(headers) or asset.size
            if total is not None and total > limit:
                raise _too_large(host, total, limit)
            for chunk in body:
                done += len(chunk)
                if done > limit:
                    raise _too_large(host, done, limit)
                out.write(chunk)
                if progress is not None:
                    progress(done, total)
                if clock.now() - started > config.max_download_seconds:
                    raise CatalogueTimedOut(
                        f"The download from {host} took longer than "
                        f"{seconds(config.max_download_seconds)} and was stopped. {STILL_WORKS}",
                        host=host,
                    )
            if total is not None and done != total:
                raise CatalogueBadResponse(
                    f"{host} sent {done:,} of {total:,} bytes: the download is incomplete. "
                    f"{STILL_WORKS}",
                    host=host,
                )
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, Exception):
            raise translate(exc, host=host, timeout=config.timeout, action="download") from exc
        raise
    return done


def _too_large(host: str, size: int, limit: int) -> CatalogueTooLarge:
    return CatalogueTooLarge(
        f"The file from {host} is {megabytes(size)}, more than the {megabytes(limit)} this "
        f"application downloads (GEO_STAC_MAX_DOWNLOAD_MB). {STILL_WORKS}",
        host=host,
    )


def fetch_pixels(
    store: Store,
    record: LayerRecord,
    asset_key: str,
    *,
    analyst: Signer,
    config: StacConfig,
    transport: Transport | None = None,
    progress: Progress | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> ImportReceipt:
    """Download the asset `asset_key` of the stored catalogue record `record` and import it
    as an imagery record of its own, with the catalogue's date, provider and source."""
    asset = asset_of(record, asset_key)
    facts = pixel_facts(record, asset)
    file_name = Path(asset.href.split("?", 1)[0]).name or f"{asset.key}.tif"
    with tempfile.TemporaryDirectory(prefix="stac-") as folder:
        target = Path(folder) / "download"
        download(asset, target, config, transport=transport, progress=progress, clock=clock)
        picture = target.read_bytes()
    return import_image(store, picture, file_name=file_name, facts=facts, analyst=analyst)
