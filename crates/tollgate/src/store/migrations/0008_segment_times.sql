-- Point in time (`status --at T`, `timeline --at T`): the segment of an app x environment that
-- covers T is the newest one (in history order) that began at or before T. Each segment keeps
-- its start time (the `at` of the event that starts it) and whether it began earlier than a
-- segment before it in its lane (`backdated`: a `record --at` in the past, or an event imported
-- late), so that the answer is two index seeks: the latest start at or before T, and the newest
-- backdated segment at or before T (few). Derived like the rest of the table: the rebuild that
-- follows this migration fills both columns from the events, and `verify` recomputes them.
ALTER TABLE segments ADD COLUMN at TEXT NOT NULL DEFAULT '';
ALTER TABLE segments ADD COLUMN backdated INTEGER NOT NULL DEFAULT 0;

CREATE INDEX segments_by_at ON segments (app, env, at);
CREATE INDEX segments_backdated ON segments (app, env, at) WHERE backdated = 1;
