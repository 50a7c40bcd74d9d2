-- +goose Up
-- Who wrote each revision and each history row (SPEC 12.2); a hash of each
-- keyed request, so that a reused idempotency key with another request is
-- refused (SPEC 6); timer leases, so that a claimed timer fires once even
-- when the instance that claimed it dies (SPEC 13).
ALTER TABLE machine_revisions ADD COLUMN author TEXT NOT NULL DEFAULT '';
ALTER TABLE history ADD COLUMN actor TEXT NOT NULL DEFAULT 'anonymous';
ALTER TABLE history ADD COLUMN request_hash TEXT;
ALTER TABLE timers ADD COLUMN claimed_until BIGINT;  -- unix milliseconds; NULL when free
CREATE INDEX entities_by_updated ON entities (machine_id, updated_at);

-- +goose Down
DROP INDEX entities_by_updated;
ALTER TABLE timers DROP COLUMN claimed_until;
ALTER TABLE history DROP COLUMN request_hash;
ALTER TABLE history DROP COLUMN actor;
ALTER TABLE machine_revisions DROP COLUMN author;
