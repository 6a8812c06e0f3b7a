-- The history database. `events` is append-only; `id_blocks` hands each
-- writer a block of ids (see `db::reserve_ids`). `notice_kind` is added by
-- `db::init` (a database made before it has no such column).
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms       INTEGER NOT NULL,
    session     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    call_id     INTEGER,
    tool        TEXT,
    plugin      TEXT,
    digest      TEXT,
    input       TEXT,
    output      TEXT,
    error_kind  TEXT,
    message     TEXT,
    duration_us INTEGER
);
CREATE INDEX IF NOT EXISTS events_time ON events(ts_ms, id);
-- `yoi_history` reads one session; pruning reads one kind, oldest first.
CREATE INDEX IF NOT EXISTS events_session ON events(session, ts_ms, id);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, ts_ms, id);
CREATE TABLE IF NOT EXISTS id_blocks (
    k    INTEGER PRIMARY KEY,
    next INTEGER NOT NULL
);
