-- Promotions into an environment that lives in a deployment repository's file (issue 19): the
-- `[[git]]` entry, the file, the image selector (NULL: every reference to the app's
-- repository), the branch, and the signed commit that pins the digest (its id is written before
-- the push, so a recovery knows which commit to look for; a compare-and-swap retry replaces it).
-- `review_branch` is where `push = "branch"` pushed it. Such an entry's `tag` is '' (it moves
-- no tag). A `push = "branch"` entry ends in state `review` ("pushed for review"): not open
-- (nothing to recover), not recorded (the stay begins when a sync sees the commit merged).
ALTER TABLE promotions ADD COLUMN git TEXT;
ALTER TABLE promotions ADD COLUMN file TEXT;
ALTER TABLE promotions ADD COLUMN image TEXT;
ALTER TABLE promotions ADD COLUMN branch TEXT;
ALTER TABLE promotions ADD COLUMN commit_id TEXT;
ALTER TABLE promotions ADD COLUMN review_branch TEXT;

-- At most one open entry per git target (git, file, image) is enforced in journal_begin (inside
-- its write transaction); this index makes that lookup cheap.
CREATE INDEX promotions_open_git ON promotions (git, file, image)
    WHERE git IS NOT NULL AND state NOT IN ('recorded', 'failed', 'review');
