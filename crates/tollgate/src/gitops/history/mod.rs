//! The deployment file's history, read out of the bare clone: pure reading (no history database,
//! no configuration, no network).
//!
//! [`file_history`] walks the FIRST-PARENT chain of a branch tip, the line of commits the branch
//! itself went through (a merge's other parents are the branches merged in), back to the root or
//! to the last commit the history recorded. Each commit on that chain whose entry at the file's
//! path differs from its first parent's (the file added, changed or removed) is a
//! [`FileChange`]: who made it, when, the exact commit object, its `Tollgate-*` trailers, and
//! what the file pinned then, read by the caller's reader ([`image_reader`]). A change that
//! arrives through a merge is the merge commit's: that is when it reached the branch.
//!
//! Cost: one tree lookup along the path per commit on the chain, and none below a folder whose
//! tree id is the child commit's (a commit that changes other folders costs one read of its root
//! tree). Blobs are read only where the entry's object id changed, once per distinct content.
//!
//! [`digest_changes`] reduces the changes to the deployments: the commits where what the file
//! pins actually changed, not a comment or the formatting.
//!
//! Signatures are checked in a separate step with the keys tollgate.toml lists
//! ([`FileChange::verify`]), so the walk needs no configuration.

mod walk;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gix::ObjectId;

use self::walk::{Entry, Graph};
use super::file::{read_image, FileImage, ImageSelector, Pinned, RepositoryMatcher};
use super::repo::{check_path, object_id};
use super::BareRepo;
use crate::domain::Digest;
use crate::signing::{
    verify_commit, CommitSigner, GitPerson, PromotionTrailers, TrustedKeys, Unverified,
};
use crate::{Error, Result};

/// The history of one file on a branch, as far back as it was walked.
#[derive(Debug, Clone, PartialEq)]
pub struct FileHistory {
    /// The commit the walk started from (the branch tip).
    pub tip: String,
    /// The file's path in the repository.
    pub file: String,
    /// The commit the walk stopped at, not included: the recorded commit, or the first commit on
    /// the first-parent chain that is an ancestor of it (the recorded commit came in through a
    /// merge's second parent). `None` when the walk went back to the root commit.
    pub since: Option<String>,
    /// Set when the recorded commit is not an ancestor of the tip at all (a force-push or a
    /// rewind): the whole first-parent chain was walked, and the caller judges the file's
    /// current content like drift.
    pub rewritten: Option<Rewritten>,
    /// The commits that changed the file, oldest first.
    pub changes: Vec<FileChange>,
    /// How many commits of the first-parent chain were compared with their first parent.
    pub walked: usize,
}

impl FileHistory {
    /// The newest change, when any.
    pub fn latest(&self) -> Option<&FileChange> {
        self.changes.last()
    }
}

/// The recorded commit is no longer in the branch's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The last commit the history recorded, no longer an ancestor of the tip.
    pub lost: String,
    /// The newest commit of the tip's first-parent chain that is still an ancestor of `lost`:
    /// where the new history parted from the recorded one. `None` when they share no commit on
    /// that chain, or when `lost` is no longer in the repository at all.
    pub fork: Option<String>,
}

impl Rewritten {
    /// One line naming what happened on `branch`.
    pub fn message(&self, branch: &str) -> String {
        let since = match &self.fork {
            Some(fork) => format!(" (the branch parted from it after commit {fork})"),
            None => String::new(),
        };
        format!(
            "history of {branch} was rewritten: commit {} is no longer on it{since}; what the file pins now is judged like drift",
            self.lost
        )
    }
}

/// A commit on the first-parent chain that added, changed or removed the file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileChange {
    /// Its id (40 hex digits).
    pub commit: String,
    /// Its first parent; `None` for a root commit.
    pub parent: Option<String>,
    /// Its other parents, for a merge (the commits merged in), in order.
    pub merged: Vec<String>,
    pub author: GitPerson,
    pub committer: GitPerson,
    /// The committer time: when the commit was made, as the commit claims.
    pub committed_at: DateTime<Utc>,
    /// The subject (the message's first paragraph, on one line).
    pub subject: String,
    /// The whole message.
    pub message: String,
    /// The message's `Tollgate-*` trailers: `Ok(None)` when it has none, `Err` (one line) when
    /// they are there but not readable.
    pub trailers: std::result::Result<Option<PromotionTrailers>, String>,
    /// The file's blob id at this commit; `None` when it is not there.
    pub blob: Option<String>,
    /// What the file says at this commit.
    pub state: FileState,
    /// The exact commit object (what `git cat-file commit <id>` prints), for exports and for
    /// [`Self::verify`].
    pub raw: Vec<u8>,
}

impl FileChange {
    /// Who signed the commit, checked against the keys tollgate.toml lists (namespace `git`),
    /// or why it names no listed identity. `at` is when the history first saw the commit (see
    /// [`verify_commit`]).
    pub fn verify(
        &self,
        keys: &TrustedKeys,
        at: Option<DateTime<Utc>>,
    ) -> std::result::Result<CommitSigner, Unverified> {
        verify_commit(&self.raw, keys, at)
    }

    /// What the file deploys after this commit.
    pub fn deployed(&self) -> Deployed {
        self.state.deployed()
    }
}

/// The file at one commit.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    /// It is there and says what it pins.
    Image(FileImage),
    /// It is not there (removed, or not added yet).
    Missing,
    /// It is there but cannot be read as the environment's image: one line saying why (not
    /// YAML, references that disagree, a folder where the file should be, ...).
    Invalid(String),
}

impl FileState {
    /// What this state deploys, the part that makes a deployment ([`digest_changes`]).
    pub fn deployed(&self) -> Deployed {
        match self {
            FileState::Image(image) => match &image.pinned {
                Pinned::Digest { digest, .. } => Deployed::Digest(digest.clone()),
                Pinned::TagOnly { tag } => Deployed::Tag(tag.clone()),
            },
            FileState::Missing => Deployed::Missing,
            FileState::Invalid(_) => Deployed::Unreadable,
        }
    }
}

/// What an environment kept in a file runs, reduced to what makes a deployment: the digest
/// pinned (a tag written beside it aside), or the tag of a reference that pins none, or no file,
/// or a file that does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deployed {
    Digest(Digest),
    /// Deployed by tag, not pinned (`None`: no tag written either, the runtime reads `latest`).
    Tag(Option<String>),
    Missing,
    /// The file cannot be read as the environment's image; two such states in a row are the
    /// same (the environment's image is unknown either way), whatever the reason says.
    Unreadable,
}

/// The changes that are deployments: those where [`Deployed`] differs from the change before
/// (the first one compared with `before`, what the history recorded at [`FileHistory::since`];
/// `None` on a first walk, where the first change always counts). A commit that edits a
/// comment, the formatting or another value, or that writes a tag beside the same digest, is a
/// change of the file but not a deployment. Order kept, oldest first.
pub fn digest_changes<'a>(
    changes: &'a [FileChange],
    before: Option<&Deployed>,
) -> Vec<&'a FileChange> {
    let mut last = before.cloned();
    let mut out = Vec::new();
    for change in changes {
        let now = change.deployed();
        if last.as_ref() != Some(&now) {
            out.push(change);
        }
        last = Some(now);
    }
    out
}

/// The reader [`file_history`] takes for an environment: the bytes as UTF-8 text, then
/// [`read_image`] with the app's repository and the environment's `image` selector.
pub fn image_reader<'a>(
    file: &'a str,
    matcher: &'a RepositoryMatcher,
    selector: Option<&'a ImageSelector>,
) -> impl Fn(&[u8]) -> Result<FileImage> + 'a {
    move |bytes| {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Error::bad_input(format!(
                "{file} is not UTF-8 text ({e}); a deployment file is YAML"
            ))
        })?;
        read_image(file, text, matcher, selector)
    }
}

/// Whether `commit` is `tip` or one of its ancestors (through every parent): a branch whose
/// tip is `tip` contains it. `false` when `commit` is not in the repository at all.
pub fn contains(repo: &BareRepo, tip: &str, commit: &str) -> Result<bool> {
    let (tip, commit) = (object_id(tip)?, object_id(commit)?);
    let mut graph = Graph::new(repo);
    if graph.commit(&commit)?.is_none() {
        return Ok(false);
    }
    graph.reaches(tip, commit, &|_| false)
}

/// The history of `file` on the first-parent chain of commit `tip`, oldest change first.
///
/// The walk goes back to the root commit, or, with `stop` (the last commit the history
/// recorded), to `stop` itself, or to the first commit on the chain that is an ancestor of
/// `stop` (a merge whose second parent brought `stop` in), neither included. When `stop` is not
/// an ancestor of `tip` at all (or no longer in the repository), the history was rewritten: the
/// whole chain is walked and [`FileHistory::rewritten`] says so.
///
/// `read` turns the file's bytes into what it pins ([`image_reader`]); its error becomes the
/// change's [`FileState::Invalid`], not the walk's. Errors of the walk, one line each: `tip` or
/// `stop` not a commit id, `tip` (or a parent on its chain) not in the repository, `file` not a
/// path inside a repository, a damaged repository.
pub fn file_history(
    repo: &BareRepo,
    tip: &str,
    file: &str,
    stop: Option<&str>,
    read: &dyn Fn(&[u8]) -> Result<FileImage>,
) -> Result<FileHistory> {
    check_path(file)?;
    let tip_id = object_id(tip)?;
    let stop_id = stop.map(object_id).transpose()?;
    let path: Vec<&str> = file.split('/').collect();
    let mut graph = Graph::new(repo);

    let chain = graph.first_parents(tip_id, stop_id)?;
    let (end, since, rewritten) = match stop_id {
        None => (chain.len(), None, None),
        Some(stop) if chain.last().map(|l| l.id) == Some(stop) => {
            (chain.len() - 1, Some(stop), None)
        }
        Some(stop) => {
            // Not on the chain: merged in through another parent, or rewritten. Rare; each
            // question walks only the commits between `stop` (or the tip) and the chain.
            let position: HashMap<ObjectId, usize> =
                chain.iter().enumerate().map(|(at, l)| (l.id, at)).collect();
            let (reachable, fork) = match graph.down_to_chain(stop, &position)? {
                None => (false, None),
                Some((between, fork)) => {
                    let first_behind = fork.unwrap_or(chain.len());
                    let behind = |id: &ObjectId| {
                        *id != stop
                            && (between.contains(id)
                                || position.get(id).is_some_and(|&at| at >= first_behind))
                    };
                    (graph.reaches(tip_id, stop, &behind)?, fork)
                }
            };
            match (reachable, fork) {
                (true, Some(at)) => (at, Some(chain[at].id), None),
                (true, None) => (chain.len(), None, None),
                (false, fork) => {
                    let rewritten = Rewritten {
                        lost: stop.to_string(),
                        fork: fork.map(|at| chain[at].id.to_string()),
                    };
                    (chain.len(), None, Some(rewritten))
                }
            }
        }
    };

    // Newest first: each commit's entry against its first parent's.
    let mut found: Vec<(usize, Option<Entry>)> = Vec::new();
    if end > 0 {
        let mut newer = graph.entry(chain[0].tree, &path, None)?;
        for at in 0..end {
            let older = match chain.get(at + 1) {
                Some(parent) => Some(graph.entry(parent.tree, &path, Some(&newer))?),
                None => None,
            };
            let before = older.as_ref().and_then(|o| o.entry);
            if newer.entry != before {
                found.push((at, newer.entry));
            }
            match older {
                Some(older) => newer = older,
                None => break,
            }
        }
    }

    let mut states: HashMap<ObjectId, FileState> = HashMap::new();
    let mut changes = Vec::with_capacity(found.len());
    for (at, entry) in found.into_iter().rev() {
        let id = chain[at].id;
        let state = match entry {
            None => FileState::Missing,
            Some(Entry { file: false, .. }) => FileState::Invalid(format!(
                "{file} at commit {id} is not a file (a folder, link or submodule); name the file that pins the image"
            )),
            Some(Entry { id: blob, .. }) => match states.get(&blob) {
                Some(state) => state.clone(),
                None => {
                    let bytes = graph.blob(&blob)?;
                    let state = match read(&bytes) {
                        Ok(image) => FileState::Image(image),
                        Err(e) => FileState::Invalid(e.message),
                    };
                    states.insert(blob, state.clone());
                    state
                }
            },
        };
        changes.push(change(repo, id, entry.map(|e| e.id), state)?);
    }

    Ok(FileHistory {
        tip: tip.to_string(),
        file: file.to_string(),
        since: since.map(|id| id.to_string()),
        rewritten,
        changes,
        walked: end,
    })
}

/// The [`FileChange`] of commit `id`.
fn change(
    repo: &BareRepo,
    id: ObjectId,
    blob: Option<ObjectId>,
    state: FileState,
) -> Result<FileChange> {
    let failed = |e: &dyn std::fmt::Display| repo.failed(&format!("reading commit {id}"), e);
    let commit = repo.gix().find_commit(id).map_err(|e| failed(&e))?;
    let raw = commit.data.clone();
    let decoded = commit.decode().map_err(|e| failed(&e))?;
    let author = person(decoded.author().map_err(|e| failed(&e))?).map_err(|e| failed(&e))?;
    let committer = person(decoded.committer().map_err(|e| failed(&e))?).map_err(|e| failed(&e))?;
    let committed_at = DateTime::<Utc>::from_timestamp(committer.seconds, 0).ok_or_else(|| {
        failed(&format!(
            "its committer time {} is out of range",
            committer.seconds
        ))
    })?;
    let mut parents = decoded.parents();
    let parent = parents.next().map(|p| p.to_string());
    let merged = parents.map(|p| p.to_string()).collect();
    let message = String::from_utf8_lossy(decoded.message).into_owned();
    let subject = String::from_utf8_lossy(decoded.message().summary().as_ref()).into_owned();
    let trailers = PromotionTrailers::parse(&message).map_err(|e| e.message);
    Ok(FileChange {
        commit: id.to_string(),
        parent,
        merged,
        author,
        committer,
        committed_at,
        subject,
        message,
        trailers,
        blob: blob.map(|b| b.to_string()),
        state,
        raw,
    })
}

fn person(signature: gix::actor::SignatureRef<'_>) -> std::result::Result<GitPerson, String> {
    let time = signature.time().map_err(|e| {
        format!(
            "the time {:?} of {} is not readable: {e}",
            signature.time,
            String::from_utf8_lossy(signature.email)
        )
    })?;
    Ok(GitPerson {
        name: String::from_utf8_lossy(signature.name).into_owned(),
        email: String::from_utf8_lossy(signature.email).into_owned(),
        seconds: time.seconds,
        offset_minutes: time.offset / 60,
    })
}
