"""Kept files in a folder or in an S3-compatible bucket (a real HTTP server, moto's, on
127.0.0.1): kept as received, re-hashed on every read, a changed copy refused."""

from __future__ import annotations

import hashlib

import pytest

from geo.store import Store, StoreError
from geo.store.bucket import BucketFiles
from geo.store.files import FolderFiles, kept_files
from tests.s3 import BUCKET, bucket_client
from tests.test_store import FILE_BYTES, imported

SHA = hashlib.sha256(FILE_BYTES).hexdigest()


def test_the_setting_chooses_the_place(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    assert kept_files("", tmp_path) == FolderFiles(tmp_path)
    assert kept_files(str(tmp_path / "elsewhere"), tmp_path) == FolderFiles(tmp_path / "elsewhere")
    assert kept_files("s3://team-bucket/cases/one/", tmp_path) == BucketFiles(
        "team-bucket", "cases/one", "http://127.0.0.1:9"
    )
    for wrong in ("ftp://host/files", "s3:///no-bucket"):
        with pytest.raises(StoreError, match="GEO_FILES_URL"):
            kept_files(wrong, tmp_path)


def test_a_folder_copy_is_checked_when_read(tmp_path):
    files = FolderFiles(tmp_path)
    files.keep(SHA, FILE_BYTES)
    assert files.read(SHA) == FILE_BYTES and files.names() == [SHA]
    (tmp_path / SHA).chmod(0o644)
    (tmp_path / SHA).write_bytes(FILE_BYTES + b" and a line added later")
    with pytest.raises(StoreError, match="no longer matches its SHA-256"):
        files.read(SHA)
    (tmp_path / SHA).unlink()
    with pytest.raises(StoreError, match="is missing"):
        files.read(SHA)


def test_a_store_keeps_its_files_in_a_bucket(tmp_path, bucket_url, s3_endpoint):
    store = Store.open(tmp_path / "data", files_url=bucket_url)
    receipt = store.import_layer(
        "Sites", imported(3), analyst="A", file_name="sites.kml", file_bytes=FILE_BYTES
    )
    assert receipt.sha256 == SHA
    assert store.read_file(SHA) == FILE_BYTES
    assert not (tmp_path / "data" / "files" / SHA).exists()  # in the bucket, not here
    key = f"{bucket_url.removeprefix(f's3://{BUCKET}/')}/{SHA}"
    client = bucket_client(s3_endpoint)
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == FILE_BYTES
    assert store.verify() == [] and store.unnamed_files() == []
    # The same bytes again: the copy there is kept, not rewritten.
    store.import_layer(
        "Sites 2", imported(1, "x"), analyst="B", file_name="b", file_bytes=FILE_BYTES
    )
    assert store.verify() == []
    # Someone with the bucket's keys changes the copy: every read refuses it.
    client.put_object(Bucket=BUCKET, Key=key, Body=b"not what was received")
    with pytest.raises(StoreError, match="no longer matches its SHA-256"):
        store.read_file(SHA)
    assert any("content changed" in problem for problem in store.verify())
    client.delete_object(Bucket=BUCKET, Key=key)
    assert any(problem.endswith("missing") for problem in store.verify())
    with pytest.raises(StoreError, match="is missing"):
        store.read_file(SHA)


def test_an_unreachable_bucket_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = Store.open(tmp_path / "data", files_url="s3://nowhere/x")
    with pytest.raises(StoreError, match=r"cannot keep a copy|cannot read"):
        store.import_layer("L", imported(1), analyst="A", file_name="f", file_bytes=b"f")
    assert store.layers() == [] and store.history() == []


def test_a_store_files_path_is_only_for_a_folder(tmp_path, bucket_url):
    store = Store.open(tmp_path / "data", files_url=bucket_url)
    store.import_layer("L", imported(1), analyst="A", file_name="f", file_bytes=FILE_BYTES)
    with pytest.raises(StoreError, match="not in a folder"):
        store.file_path(SHA)
    in_folder = Store.open(tmp_path / "other")
    in_folder.import_layer("L", imported(1), analyst="A", file_name="f", file_bytes=FILE_BYTES)
    assert in_folder.file_path(SHA) == in_folder.files_dir / SHA
