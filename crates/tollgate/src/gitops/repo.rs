//! A bare git repository read and written in process with `gix`: the bytes of a file at a
//! commit, and a promotion commit that replaces that one file's content (a new blob, the tree
//! edited along the file's path, the commit object signed by [`crate::signing::sign_commit`]),
//! then the branch moved from exactly the tip it was made on (compare-and-swap). Nothing here
//! talks to a remote.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;
use gix::objs::Write as _;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target;
use gix::ObjectId;

use crate::signing::{sign_commit, CommitFields, GitPerson, Signer};
use crate::{Code, Error, Result};

/// A bare repository on this machine.
pub struct BareRepo {
    repo: gix::Repository,
    path: PathBuf,
}

impl std::fmt::Debug for BareRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BareRepo")
            .field("path", &self.path)
            .finish()
    }
}

/// A commit that replaces the content of one file on a branch.
#[derive(Debug, Clone)]
pub struct FileCommit<'a> {
    /// The branch name, without `refs/heads/`.
    pub branch: &'a str,
    /// The tip the new content was decided on: the new commit's parent, and the only value the
    /// branch is moved from.
    pub expected_tip: &'a str,
    /// The file's path in the repository (`apps/api/production/deployment.yaml`).
    pub file: &'a str,
    /// Its whole new content.
    pub content: &'a [u8],
    pub author: GitPerson,
    pub committer: GitPerson,
    pub message: String,
}

/// A commit written into the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenCommit {
    /// Its object id (40 hex digits).
    pub id: String,
    /// The raw commit object, `gpgsig` header included (what `git cat-file commit` prints).
    pub raw: Vec<u8>,
}

impl BareRepo {
    /// Open the repository at `path` (a bare repository, or a `.git` directory), reading no
    /// global or system git configuration.
    pub fn open(path: &Path) -> Result<BareRepo> {
        let repo = gix::open_opts(path, gix::open::Options::isolated()).map_err(|e| {
            Error::new(
                Code::NotFound,
                format!(
                    "{} is not a git repository ({e}); Tollgate keeps its clone there: delete the folder so the next sync clones it again",
                    path.display()
                ),
            )
        })?;
        Ok(BareRepo {
            repo,
            path: path.to_path_buf(),
        })
    }

    /// The commit id the branch points to; `None` when there is no such branch.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<String>> {
        let name = branch_ref(branch)?;
        let found = self
            .repo
            .try_find_reference(name.as_str())
            .map_err(|e| self.failed(&format!("reading branch {branch}"), e))?;
        let Some(mut reference) = found else {
            return Ok(None);
        };
        let id = reference
            .peel_to_id()
            .map_err(|e| self.failed(&format!("reading branch {branch}"), e))?;
        Ok(Some(id.to_string()))
    }

    /// The bytes of `file` at `commit`; `None` when the commit's tree has no such path. A path
    /// that is a folder, a link or a submodule is an error naming it.
    pub fn file_at(&self, commit: &str, file: &str) -> Result<Option<Vec<u8>>> {
        check_path(file)?;
        let tree = self.tree_of(commit)?;
        let entry = self
            .repo
            .find_tree(tree)
            .map_err(|e| self.failed("reading a tree", e))?
            .lookup_entry_by_path(file)
            .map_err(|e| self.failed(&format!("looking up {file}"), e))?;
        let Some(entry) = entry else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Err(Error::bad_input(format!(
                "{file} at commit {commit} is not a file (a folder, link or submodule); name the file that pins the image"
            )));
        }
        let blob = self
            .repo
            .find_blob(entry.object_id())
            .map_err(|e| self.failed(&format!("reading {file}"), e))?;
        Ok(Some(blob.data.clone()))
    }

    /// The raw object of commit `id` (what `git cat-file commit <id>` prints).
    pub fn raw_commit(&self, id: &str) -> Result<Vec<u8>> {
        let commit = self
            .repo
            .find_commit(object_id(id)?)
            .map_err(|e| self.failed(&format!("reading commit {id}"), e))?;
        Ok(commit.data.clone())
    }

    /// Write a signed commit whose parent is `change.expected_tip` and whose tree is that
    /// commit's with `change.file` (which must exist there, as a file) holding
    /// `change.content`. The branch is not moved ([`Self::move_branch`] does that).
    pub fn write_file_commit(
        &self,
        change: &FileCommit<'_>,
        signer: &Signer,
    ) -> Result<WrittenCommit> {
        let parent = object_id(change.expected_tip)?;
        let file = change.file;
        check_path(file)?;
        let tree = self.tree_of(change.expected_tip)?;
        let entry = self
            .repo
            .find_tree(tree)
            .map_err(|e| self.failed("reading a tree", e))?
            .lookup_entry_by_path(file)
            .map_err(|e| self.failed(&format!("looking up {file}"), e))?;
        let kind = match entry.map(|e| e.mode().kind()) {
            Some(kind @ (EntryKind::Blob | EntryKind::BlobExecutable)) => kind,
            Some(_) => {
                return Err(Error::bad_input(format!(
                    "{file} at commit {} is not a file (a folder, link or submodule); name the file that pins the image",
                    change.expected_tip
                )))
            }
            None => {
                return Err(Error::new(
                    Code::NotFound,
                    format!(
                        "{file} is not in commit {} of branch {}: check the environment's `file` in tollgate.toml",
                        change.expected_tip, change.branch
                    ),
                ))
            }
        };
        let blob = self
            .repo
            .write_blob(change.content)
            .map_err(|e| self.failed(&format!("writing the new {file}"), e))?;
        let mut editor = self
            .repo
            .edit_tree(tree)
            .map_err(|e| self.failed("editing a tree", e))?;
        editor
            .upsert(file, kind, blob.detach())
            .map_err(|e| self.failed(&format!("editing the tree at {file}"), e))?;
        let new_tree = editor
            .write()
            .map_err(|e| self.failed("writing a tree", e))?;
        let raw = sign_commit(
            &CommitFields {
                tree: new_tree.to_string(),
                parents: vec![parent.to_string()],
                author: change.author.clone(),
                committer: change.committer.clone(),
                message: change.message.clone(),
            },
            signer,
        )?;
        let id = self
            .repo
            .objects
            .write_buf(gix::objs::Kind::Commit, &raw)
            .map_err(|e| self.failed("writing the commit", e))?;
        Ok(WrittenCommit {
            id: id.to_string(),
            raw,
        })
    }

    /// Move `branch` from `from` to `to`, only if it still points to `from`: otherwise refused
    /// with the commit it points to now. `committer` is named in a reflog, where the
    /// repository keeps one.
    pub fn move_branch(
        &self,
        branch: &str,
        from: &str,
        to: &str,
        committer: &GitPerson,
    ) -> Result<()> {
        let name = branch_ref(branch)?;
        let (old, new) = (object_id(from)?, object_id(to)?);
        let moved = |now: Option<String>| {
            Error::refused(format!(
                "branch {branch} moved: it is at {} now, not at {from} where the change was made; read it again and decide on the new tip",
                now.as_deref().unwrap_or("nothing (deleted)")
            ))
        };
        let now = self.branch_tip(branch)?;
        if now.as_deref() != Some(from) {
            return Err(moved(now));
        }
        let time = format!("{} {}", committer.seconds, offset(committer.offset_minutes));
        let signature = gix::actor::SignatureRef {
            name: committer.name.as_bytes().as_bstr(),
            email: committer.email.as_bytes().as_bstr(),
            time: &time,
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: "tollgate: promotion commit".into(),
                },
                expected: PreviousValue::MustExistAndMatch(Target::Object(old)),
                new: Target::Object(new),
            },
            name: name
                .as_str()
                .try_into()
                .map_err(|e| Error::bad_input(format!("branch {branch:?} is not valid: {e}")))?,
            deref: false,
        };
        if let Err(e) = self.repo.edit_references_as([edit], Some(signature)) {
            let now = self.branch_tip(branch)?;
            if now.as_deref() != Some(from) {
                return Err(moved(now));
            }
            return Err(self.failed(&format!("moving branch {branch}"), e));
        }
        Ok(())
    }

    /// [`Self::write_file_commit`], then [`Self::move_branch`] from the expected tip to it.
    pub fn commit_file(&self, change: &FileCommit<'_>, signer: &Signer) -> Result<WrittenCommit> {
        let written = self.write_file_commit(change, signer)?;
        self.move_branch(
            change.branch,
            change.expected_tip,
            &written.id,
            &change.committer,
        )?;
        Ok(written)
    }

    /// Where the repository is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `gix` repository, for the history walk ([`super::history`]).
    pub(super) fn gix(&self) -> &gix::Repository {
        &self.repo
    }

    fn tree_of(&self, commit: &str) -> Result<ObjectId> {
        let found = self
            .repo
            .find_commit(object_id(commit)?)
            .map_err(|e| self.failed(&format!("reading commit {commit}"), e))?;
        found
            .tree_id()
            .map(|id| id.detach())
            .map_err(|e| self.failed(&format!("reading the tree of commit {commit}"), e))
    }

    pub(super) fn failed(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::internal(format!(
            "{what} in the git repository {} failed: {e}",
            self.path.display()
        ))
    }
}

/// `refs/heads/<branch>`, for a branch name git accepts.
pub(super) fn branch_ref(branch: &str) -> Result<String> {
    let name = format!("refs/heads/{branch}");
    let valid: std::result::Result<gix::refs::FullName, _> = name.as_str().try_into();
    match valid {
        Ok(_) if !branch.is_empty() && !branch.starts_with("refs/") => Ok(name),
        _ => Err(Error::bad_input(format!(
            "{branch:?} is not a git branch name; give the branch as `main` or `deploy/prod`"
        ))),
    }
}

pub(super) fn object_id(id: &str) -> Result<ObjectId> {
    let bad = || Error::bad_input(format!("{id:?} is not a git commit id (40 hex digits)"));
    if id.len() != 40 {
        return Err(bad());
    }
    ObjectId::from_hex(id.as_bytes()).map_err(|_| bad())
}

/// A path inside the repository: relative, `/`-separated, without empty, `.` or `..` parts.
pub(super) fn check_path(file: &str) -> Result<()> {
    let ok = !file.is_empty()
        && !file.contains(['\\', '\0', '\n'])
        && file
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "{file:?} is not a path inside a git repository: use a relative path with `/`, such as apps/api/production/deployment.yaml"
        )))
    }
}

fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

#[cfg(test)]
mod tests;

/// The id git gives the commit object `raw`: the SHA-1 of `commit <length>\0` and the bytes
/// (`git hash-object -t commit`). An auditor recomputes it to know an exported commit object is
/// the commit the history names.
pub fn commit_id(raw: &[u8]) -> Result<String> {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Commit, raw)
        .map(|id| id.to_string())
        .map_err(|e| {
            Error::new(
                Code::BadInput,
                format!("cannot hash the commit object: {e}"),
            )
        })
}
