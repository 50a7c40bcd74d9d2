-- +goose Up
-- Machines and their immutable revisions. Editing a machine adds a revision;
-- entities stay on the revision they were created with. The same schema as
-- migrations/sqlite, version for version, in PostgreSQL's types.
CREATE TABLE machines (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    revision    INTEGER NOT NULL,           -- the latest revision
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE machine_revisions (
    machine_id TEXT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    yaml       TEXT NOT NULL,
    hash       TEXT NOT NULL,               -- sha256 of yaml
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (machine_id, revision)
);

CREATE TABLE entities (
    id          TEXT PRIMARY KEY,
    machine_id  TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    context     TEXT NOT NULL,              -- JSON object
    version     INTEGER NOT NULL,           -- bumped by every accepted event
    history_len INTEGER NOT NULL,           -- compared on every event's write
    entered_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (machine_id, revision) REFERENCES machine_revisions (machine_id, revision) ON DELETE CASCADE
);
CREATE INDEX entities_by_machine ON entities (machine_id, state);

-- One row per event, refused ones included. The first row of an entity is
-- its creation (trigger __entity_created__).
CREATE TABLE history (
    entity_id       TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    trigger         TEXT NOT NULL,
    payload         TEXT,                   -- JSON object or NULL
    source_state    TEXT NOT NULL,
    target_state    TEXT NOT NULL,
    success         BOOLEAN NOT NULL,
    error           TEXT,                   -- JSON object or NULL
    actions         TEXT NOT NULL,          -- JSON array of action names
    by_timer        BOOLEAN NOT NULL DEFAULT FALSE,
    idempotency_key TEXT,
    response        TEXT,                   -- the first answer, kept for idempotent replays
    at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (entity_id, seq)
);
CREATE UNIQUE INDEX history_idempotency ON history (entity_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Pending timeouts and delayed transitions. A row is deleted in the same
-- transaction that fires it, so a timer fires at most once.
CREATE TABLE timers (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    trigger   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    state     TEXT NOT NULL,                -- the state that armed it
    after_ms  BIGINT NOT NULL,
    due_at    BIGINT NOT NULL               -- unix milliseconds
);
CREATE INDEX timers_by_due ON timers (due_at);
CREATE INDEX timers_by_entity ON timers (entity_id);

-- Shared machines (and simulations): immutable once written.
CREATE TABLE shares (
    id         TEXT PRIMARY KEY,
    yaml       TEXT NOT NULL,
    trace      TEXT,                        -- JSON, the simulation to replay
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE shares;
DROP TABLE timers;
DROP TABLE history;
DROP TABLE entities;
DROP TABLE machine_revisions;
DROP TABLE machines;
