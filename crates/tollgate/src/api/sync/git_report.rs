//! What `sync` reports of the environments in a deployment repository ([`SyncedGitEnv`]), and
//! the one line a drifting one is.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::domain::Digest;
use crate::Error;

/// What one environment in a deployment repository looked like during this sync.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncedGitEnv {
    pub app: String,
    pub env: String,
    /// The app's registry repository (`registry/path`) the file's references are matched to.
    pub repository: String,
    /// The `[[git]]` entry's name.
    pub git: String,
    pub file: String,
    pub branch: String,
    /// The branch tip the file was read at.
    pub commit: String,
    /// What the file pins at the tip; `null` when it is gone, unreadable or pins by tag only.
    #[ts(type = "string | null")]
    pub digest: Option<Digest>,
    /// The digest the previous sync saw, when it differs from `digest`.
    #[ts(type = "string | null")]
    pub previous: Option<Digest>,
    /// What the history says runs there before this sync (the current segment's digest).
    #[ts(type = "string | null")]
    pub expected: Option<Digest>,
    /// After this sync the environment is drifting: a commit nothing explains changed its
    /// digest (now or earlier, not acknowledged since), or the tip of a rewritten branch pins
    /// something other than what the history says.
    pub drift: bool,
    /// The file references the image by tag only: the tag (`latest` when none is written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deployed_by_tag: Option<String>,
    /// The commits of this sync that changed the digest, oldest first, and what each became.
    pub changes: Vec<GitChange>,
    /// For a drift that stands from an earlier sync (nobody has acknowledged it): the commit
    /// that began it, as that drift event names it (its `why`; its digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub standing: Option<GitChange>,
    /// One line each: a rewritten branch, a file gone, a reference that does not parse,
    /// references that disagree, a reference by tag only.
    pub problems: Vec<String>,
}

/// One commit that changed a git environment's digest, as this sync read it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct GitChange {
    pub commit: String,
    /// `Name <email>` of the commit's author.
    pub author: String,
    /// The committer time the commit claims.
    #[ts(type = "string")]
    pub committed_at: DateTime<Utc>,
    /// What the file pins after it (`null`: gone, unreadable, or by tag only).
    #[ts(type = "string | null")]
    pub digest: Option<Digest>,
    /// What it became: `baseline` (first sync), `promotion` (Tollgate's own, explained),
    /// `in_flight`, `record` (signed by a listed identity), `drift`, `unchanged` (the digest the
    /// history already says), `problem` (no digest to judge: see `why`), `rewritten` (walked
    /// after a rewrite: never accepted, the tip is judged instead) or `before_history` (a first
    /// read of a file whose lane had stays already: not replayed over them).
    pub outcome: String,
    /// The identity whose listed key signed it.
    pub signer: Option<String>,
    /// Why it is drift or a problem (the signature status, what is wrong with the file); for
    /// a `promotion` pushed for review, which one it landed and how.
    pub why: Option<String>,
    /// A promotion pushed for review that this sync recorded: what was published to the
    /// team's registry (the artifact, or why it is not shared yet), as `promote` reports a
    /// direct one; absent otherwise, and when sharing is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub shared: Option<crate::api::team::sync::TeamShare>,
}

impl From<&SyncedGitEnv> for Error {
    fn from(g: &SyncedGitEnv) -> Error {
        let place = format!("{} {} {}:{}", g.app, g.env, g.git, g.file);
        let now = g.digest.as_ref().map_or("nothing", |d| d.as_str());
        let how = match g.changes.iter().rev().find(|c| c.outcome == "drift") {
            Some(c) => format!(
                "commit {} by {} changed it to {now}: {}",
                c.commit,
                c.author,
                c.why.as_deref().unwrap_or("nothing explains it")
            ),
            None => match (&g.digest, &g.deployed_by_tag) {
                (None, Some(tag)) => format!(
                    "at commit {} pins no digest (deployed by tag {tag}, not pinned), but the history says {} runs there",
                    g.commit,
                    g.expected.as_ref().map_or("nothing", |d| d.as_str())
                ),
                (None, None) if g.expected.is_some() => format!(
                    "at commit {} pins no digest (the file is gone or cannot be read), but the history says {} runs there",
                    g.commit,
                    g.expected.as_ref().map_or("nothing", |d| d.as_str())
                ),
                _ if g.expected != g.digest => format!(
                    "at commit {} pins {now}, but the history says {} runs there",
                    g.commit,
                    g.expected.as_ref().map_or("nothing", |d| d.as_str())
                ),
                _ => match &g.standing {
                    Some(s) => format!(
                        "at commit {} still pins {now}, put there by commit {}{} ({}), and nobody has acknowledged it",
                        g.commit,
                        s.commit,
                        match s.author.as_str() {
                            "" => String::new(),
                            a => format!(" by {a}"),
                        },
                        s.why.as_deref().unwrap_or("nothing explains it")
                    ),
                    None => format!(
                        "at commit {} still pins {now}, which a commit nothing explains put there, and nobody has acknowledged it",
                        g.commit
                    ),
                },
            },
        };
        Error::refused(format!(
            "drift: {place} {how}; find out who changed the file, then promote the right digest with Tollgate (or commit it signed with a listed key)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> SyncedGitEnv {
        SyncedGitEnv {
            app: "api".into(),
            env: "production".into(),
            repository: "ghcr/acme/api".into(),
            git: "deploy".into(),
            file: "prod/api.yaml".into(),
            branch: "main".into(),
            commit: "c".repeat(40),
            digest: Some(Digest::of(b"b")),
            previous: Some(Digest::of(b"a")),
            expected: Some(Digest::of(b"a")),
            drift: true,
            deployed_by_tag: None,
            changes: Vec::new(),
            standing: None,
            problems: Vec::new(),
        }
    }

    fn change(outcome: &str) -> GitChange {
        GitChange {
            commit: "d".repeat(40),
            author: "Dev <dev@example.com>".into(),
            committed_at: DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap(),
            digest: Some(Digest::of(b"b")),
            outcome: outcome.into(),
            signer: None,
            why: Some("the commit is not signed".into()),
            shared: None,
        }
    }

    #[test]
    fn a_drift_line_names_the_place_the_commit_its_author_and_why() {
        let mut g = row();
        g.changes = vec![change("unchanged"), change("drift")];
        let line = Error::from(&g).message;
        assert!(
            line.starts_with("drift: api production deploy:prod/api.yaml commit "),
            "{line}"
        );
        assert!(line.contains(&"d".repeat(40)), "{line}");
        assert!(line.contains("by Dev <dev@example.com>"), "{line}");
        assert!(line.contains("the commit is not signed"), "{line}");

        // Standing from an earlier sync: named by the drift event that began it.
        let mut g = row();
        g.expected = g.digest.clone();
        g.standing = Some(change("drift"));
        let line = Error::from(&g).message;
        assert!(line.contains("nobody has acknowledged it"), "{line}");
        assert!(
            line.contains(&format!("put there by commit {}", "d".repeat(40))),
            "{line}"
        );

        // A reference by tag only: no digest, and the tag named.
        let mut g = row();
        g.digest = None;
        g.deployed_by_tag = Some("1.2".into());
        let line = Error::from(&g).message;
        assert!(
            line.contains("pins no digest (deployed by tag 1.2, not pinned)"),
            "{line}"
        );
    }
}
