-- The store's tables as geo/store/schema.py made them before the Alembic migrations
-- (commit d3c582a, SCHEMA_VERSION 1): tests/test_store.py makes an old store from it.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
    size        INTEGER NOT NULL CHECK (size >= 0),
    file_name   TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    layer       TEXT    NOT NULL UNIQUE,
    analyst     TEXT    NOT NULL
);
CREATE TABLE layers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    name_key   TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    file_id    INTEGER REFERENCES files(id)
);
CREATE TABLE records (
    pk             INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    layer          TEXT    NOT NULL REFERENCES layers(name),
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    geometry       TEXT    NOT NULL,
    properties     TEXT    NOT NULL,
    date           TEXT,
    date_as_stated TEXT,
    deleted_at     TEXT
);
CREATE INDEX records_by_layer ON records(layer, pk);
CREATE TABLE history (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    time      TEXT    NOT NULL,
    analyst   TEXT    NOT NULL,
    action    TEXT    NOT NULL CHECK (action IN ('create', 'edit', 'delete', 'import')),
    record_id TEXT,
    layer     TEXT    NOT NULL,
    change    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
PRAGMA user_version = 1;
