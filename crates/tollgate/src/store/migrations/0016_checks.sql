-- Attestations (`tollgate attest`: kind 'check', env empty) are read per app and digest by the
-- `checks` rule of every checklist and by the digest detail: one index seek, on check events only.
CREATE INDEX IF NOT EXISTS events_checks ON events (app, digest, seq) WHERE kind = 'check';
