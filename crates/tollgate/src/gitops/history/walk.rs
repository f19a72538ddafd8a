//! The graph work under [`super::file_history`]: the first-parent chain of a commit, whether one
//! commit is reachable from another, and the tree entry at a path, looked up so that a commit
//! whose trees along the path are its parent's costs no object read at all.

use std::collections::{HashMap, HashSet, VecDeque};

use gix::objs::Find as _;
use gix::ObjectId;

use crate::gitops::BareRepo;
use crate::{Code, Error, Result};

/// A commit on the first-parent chain: its id, root tree and parents (first parent first).
pub(super) struct Link {
    pub id: ObjectId,
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
}

/// Reads commits and trees of one repository through one reused buffer.
pub(super) struct Graph<'r> {
    repo: &'r BareRepo,
    buf: Vec<u8>,
}

impl<'r> Graph<'r> {
    pub fn new(repo: &'r BareRepo) -> Graph<'r> {
        Graph {
            repo,
            buf: Vec::with_capacity(4096),
        }
    }

    /// The commit `id` (its tree and parents); `None` when the repository has no such object.
    pub fn commit(&mut self, id: &ObjectId) -> Result<Option<Link>> {
        let found = self
            .repo
            .gix()
            .objects
            .try_find(id, &mut self.buf)
            .map_err(|e| self.repo.failed(&format!("reading commit {id}"), e))?;
        let Some(data) = found else {
            return Ok(None);
        };
        let kind = data.kind;
        let mut iter = data.try_into_commit_iter().ok_or_else(|| {
            Error::bad_input(format!(
                "{id} is a {kind} in the git repository, not a commit; give a commit id"
            ))
        })?;
        let tree = iter.tree_id().map_err(|e| {
            self.repo
                .failed(&format!("reading the tree of commit {id}"), e)
        })?;
        Ok(Some(Link {
            id: *id,
            tree,
            parents: iter.parent_ids().collect(),
        }))
    }

    /// [`Self::commit`], a missing object being an error that names it.
    pub fn existing(&mut self, id: &ObjectId, role: &str) -> Result<Link> {
        self.commit(id)?.ok_or_else(|| {
            Error::new(
                Code::NotFound,
                format!(
                    "{role} {id} is not in the git repository {}; fetch again, or check the commit id",
                    self.repo.path().display()
                ),
            )
        })
    }

    /// The first-parent chain from `tip` (newest first), ending at `stop` (included) when it is
    /// on the chain, otherwise at the root commit.
    pub fn first_parents(&mut self, tip: ObjectId, stop: Option<ObjectId>) -> Result<Vec<Link>> {
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(tip);
        while let Some(id) = next {
            if !seen.insert(id) {
                return Err(self.repo.failed(
                    "walking the first parents",
                    format!("commit {id} is its own ancestor"),
                ));
            }
            let role = if id == tip {
                "commit"
            } else {
                "the parent commit"
            };
            let link = self.existing(&id, role)?;
            next = link.parents.first().copied();
            chain.push(link);
            if Some(id) == stop {
                break;
            }
        }
        Ok(chain)
    }

    /// The ancestors of `from` (through all parents, `from` included) down to the first-parent
    /// `chain` (`position`: each chain commit's index, newest 0), not below it: nothing below a
    /// chain commit is a newer chain commit. Returns the commits visited off the chain and the
    /// newest chain commit reached (the smallest index), or `None` when the repository has no
    /// commit `from`. Parents missing from the repository (a shallow clone) end the walk there.
    pub fn down_to_chain(
        &mut self,
        from: ObjectId,
        position: &HashMap<ObjectId, usize>,
    ) -> Result<Option<(HashSet<ObjectId>, Option<usize>)>> {
        if self.commit(&from)?.is_none() {
            return Ok(None);
        }
        let mut seen = HashSet::new();
        let mut newest: Option<usize> = None;
        let mut queue = VecDeque::from([from]);
        while let Some(id) = queue.pop_front() {
            if let Some(&at) = position.get(&id) {
                newest = Some(newest.map_or(at, |n| n.min(at)));
                continue;
            }
            if !seen.insert(id) {
                continue;
            }
            if let Some(link) = self.commit(&id)? {
                queue.extend(link.parents.into_iter().filter(|p| !seen.contains(p)));
            }
        }
        Ok(Some((seen, newest)))
    }

    /// Whether `target` is reachable from `from` through all parents. The walk does not go on
    /// below a commit for which `behind` is true: one known to be an ancestor of `target`
    /// other than itself, below which nothing can reach it.
    pub fn reaches(
        &mut self,
        from: ObjectId,
        target: ObjectId,
        behind: &dyn Fn(&ObjectId) -> bool,
    ) -> Result<bool> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([from]);
        while let Some(id) = queue.pop_front() {
            if id == target {
                return Ok(true);
            }
            if behind(&id) || !seen.insert(id) {
                continue;
            }
            if let Some(link) = self.commit(&id)? {
                queue.extend(link.parents);
            }
        }
        Ok(false)
    }

    /// The entry at `path` (split in components) under `tree`. `newer` is the same lookup for
    /// another tree (the child commit's): where the walk meets a tree id `newer` met at the same
    /// depth, everything below is the same and its entry is reused without reading further.
    pub fn entry(
        &mut self,
        tree: ObjectId,
        path: &[&str],
        newer: Option<&PathIds>,
    ) -> Result<PathIds> {
        let mut trees = Vec::with_capacity(path.len());
        let mut current = tree;
        for (depth, name) in path.iter().enumerate() {
            if let Some(newer) = newer {
                if newer.trees.get(depth) == Some(&current) {
                    trees.extend_from_slice(&newer.trees[depth..]);
                    return Ok(PathIds {
                        trees,
                        entry: newer.entry,
                    });
                }
            }
            trees.push(current);
            let found = self
                .repo
                .gix()
                .objects
                .try_find(&current, &mut self.buf)
                .map_err(|e| self.repo.failed(&format!("reading tree {current}"), e))?;
            let Some(iter) = found.and_then(|d| d.try_into_tree_iter()) else {
                return Err(self.repo.failed(
                    "reading a tree",
                    format!("tree {current} is missing or not a tree"),
                ));
            };
            let mut hit = None;
            for entry in iter {
                let entry =
                    entry.map_err(|e| self.repo.failed(&format!("reading tree {current}"), e))?;
                if entry.filename == name.as_bytes() {
                    hit = Some((entry.oid.to_owned(), entry.mode));
                    break;
                }
            }
            let last = depth + 1 == path.len();
            match hit {
                None => return Ok(PathIds { trees, entry: None }),
                Some((id, mode)) if last => {
                    let entry = Some(Entry {
                        id,
                        file: mode.is_blob(),
                    });
                    return Ok(PathIds { trees, entry });
                }
                Some((id, mode)) if mode.is_tree() => current = id,
                // A file where the path needs a folder: the path is not there.
                Some(_) => return Ok(PathIds { trees, entry: None }),
            }
        }
        Ok(PathIds { trees, entry: None })
    }

    /// The bytes of blob `id`.
    pub fn blob(&mut self, id: &ObjectId) -> Result<Vec<u8>> {
        let found = self
            .repo
            .gix()
            .objects
            .try_find(id, &mut self.buf)
            .map_err(|e| self.repo.failed(&format!("reading blob {id}"), e))?;
        match found {
            Some(data) if data.kind == gix::objs::Kind::Blob => Ok(data.data.to_vec()),
            _ => Err(self.repo.failed(
                "reading a file",
                format!("blob {id} is missing or not a blob"),
            )),
        }
    }
}

/// What is at a path in one tree: the ids of the trees along it, and the entry at its end.
#[derive(Debug, Clone, Default)]
pub(super) struct PathIds {
    trees: Vec<ObjectId>,
    pub entry: Option<Entry>,
}

/// A tree entry: its object, and whether it is a file (a blob, executable or not) rather than a
/// folder, a link or a submodule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub id: ObjectId,
    pub file: bool,
}
