"""Kept files in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage...), for a team
whose server keeps no files on its own disk: ``GEO_FILES_URL=s3://bucket/prefix``.

The endpoint is ``$GEO_S3_ENDPOINT_URL`` (or boto3's own settings:
``AWS_ENDPOINT_URL``, ``~/.aws/config``); the keys are boto3's usual ones
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, a profile, or an instance role).

A copy is written once under ``<prefix>/<sha256>`` with its SHA-256 for the server
to check on arrival, and never over an existing object; every read re-hashes it.
An S3 object appears whole or not at all, so no temporary name is needed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from geo.errors import StoreError
from geo.store.files import ENV_FILES_URL, checked_copy, is_sha256, short

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ENV_S3_ENDPOINT_URL: Final = "GEO_S3_ENDPOINT_URL"
_MISSING: Final = {"404", "NoSuchKey", "NotFound"}


@functools.cache
def _client(endpoint_url: str) -> S3Client:
    # One client per endpoint and process: boto3's clients are thread-safe, and making
    # one reads the configuration files.
    return boto3.client("s3", endpoint_url=endpoint_url or None)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class BucketFiles:
    """Kept files under `prefix` in the bucket `bucket`."""

    bucket: str
    prefix: str
    endpoint_url: str = ""

    @classmethod
    def from_url(cls, url: str) -> BucketFiles:
        """From ``s3://bucket/prefix`` and ``$GEO_S3_ENDPOINT_URL``."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise StoreError(f"{ENV_FILES_URL} {url!r} names no bucket: write s3://bucket/prefix")
        endpoint = os.environ.get(ENV_S3_ENDPOINT_URL, "").strip()
        return cls(bucket, prefix.strip("/"), endpoint)

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def _failed(self, doing: str, exc: Exception) -> StoreError:
        return StoreError(f"cannot {doing} in {self.where}: {exc}")

    def _get(self, sha256: str) -> bytes | None:
        """The object's bytes, None if there is none."""
        try:
            answer = _client(self.endpoint_url).get_object(
                Bucket=self.bucket, Key=self._key(sha256)
            )
            return answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._failed(f"read the kept copy {short(sha256)}", exc) from exc
        except BotoCoreError as exc:
            raise self._failed(f"read the kept copy {short(sha256)}", exc) from exc

    def keep(self, sha256: str, data: bytes) -> None:
        if not is_sha256(sha256):
            raise StoreError(f"{sha256!r} is not a SHA-256")
        existing = self._get(sha256)
        if existing is not None:
            # Same bytes imported before: keep the copy there, but never build on one
            # that no longer matches its name.
            checked_copy(existing, sha256, f"{self.where}/{sha256}")
            return
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
        try:
            _client(self.endpoint_url).put_object(
                Bucket=self.bucket,
                Key=self._key(sha256),
                Body=data,
                ChecksumSHA256=checksum,  # the server refuses bytes changed on the way
                IfNoneMatch="*",  # never over a copy another import wrote meanwhile
            )
        except ClientError as exc:
            if _code(exc) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return  # the same bytes, kept by another import meanwhile
            raise self._failed(f"keep a copy of {short(sha256)}", exc) from exc
        except BotoCoreError as exc:
            raise self._failed(f"keep a copy of {short(sha256)}", exc) from exc

    def read(self, sha256: str) -> bytes:
        data = self._get(sha256)
        where = f"{self.where}/{sha256}"
        if data is None:
            raise StoreError(
                f"the kept copy {where} is missing: run verify and restore it from a backup"
            )
        return checked_copy(data, sha256, where)

    def problem(self, sha256: str, size: int) -> str | None:
        try:
            data = self._get(sha256)
        except StoreError as exc:
            return f"cannot be read: {exc}"
        if data is None:
            return "missing"
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            return f"content changed (SHA-256 is now {short(actual)})"
        if len(data) != size:
            return f"size is {len(data)} bytes, not {size}"
        return None

    def names(self) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        try:
            pages = (
                _client(self.endpoint_url)
                .get_paginator("list_objects_v2")
                .paginate(Bucket=self.bucket, Prefix=start)
            )
            for page in pages:
                found += [item["Key"][len(start) :] for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as exc:
            raise self._failed("list the kept files", exc) from exc
        return [name for name in found if "/" not in name]
