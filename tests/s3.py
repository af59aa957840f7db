"""A real S3-compatible server for the tests: moto's HTTP server on 127.0.0.1, on a
free port, in a thread; boto3 talks HTTP to it as to any S3 endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3

BUCKET = "evidence"
TEST_KEYS = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def running_s3() -> Iterator[str]:
    """A started server with an empty bucket `BUCKET`; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, **_keys()).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": TEST_KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": TEST_KEYS["AWS_SECRET_ACCESS_KEY"],
        "region_name": TEST_KEYS["AWS_DEFAULT_REGION"],
    }


def bucket_client(endpoint: str):  # type: ignore[no-untyped-def]
    """A client of the test server, as someone with the bucket's keys would use."""
    return boto3.client("s3", endpoint_url=endpoint, **_keys())
