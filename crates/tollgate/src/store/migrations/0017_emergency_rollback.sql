-- Emergency rollbacks (issue 22): a rollback that passed under its policy's
-- `rollback = { approvals = N }` keeps the reason its actor gave in its journal entry, so that
-- the event written when it is recorded (by this process or a later recovery) carries
-- `emergency: true` and that reason in its signed message. NULL: not an emergency rollback.
ALTER TABLE promotions ADD COLUMN emergency_reason TEXT;
