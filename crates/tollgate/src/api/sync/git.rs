//! `sync` of the environments that live in a deployment repository's file
//! (docs/src/contracts/deployment-repositories.md): one fetch per `[[git]]` repository, then the
//! first-parent history of each environment's file from the last commit the history recorded.
//!
//! Reading ([`read`]) is all or nothing, like the tags: an unreachable remote or a branch it
//! does not have fails the sync before anything is written. Deciding ([`decide`]) turns the
//! commits that changed the digest into events (the rules: `domain::git_history`):
//! - first sync: every digest change of the whole history is a baseline stay (an observation
//!   marked `baseline`, at the commit's claimed time), never drift; but a commit that brought a
//!   promotion pushed for review onto the branch is that promotion, on a first sync as later
//!   (`git_review`);
//! - later: Tollgate's own promotion commit is explained by its event; a commit signed by a
//!   listed key is a signed deployment (a `record` by that identity); anything else is drift;
//! - a rewritten branch (the recorded commit is no longer on it) is one line, kept in the
//!   history (`data.rewritten` on the observation, and on the drift when there is one), and the
//!   tip is judged like drift: commits walked after a rewrite are never accepted;
//! - a file that is gone, unreadable, or pins by tag only is one line, the digest `null`.
//!
//! Every event carries `repository`, `git`, `file`, `branch` and `commit` (no `tag`); those made
//! from a commit also `author`, `raw_commit` and the signature status (`signer` + `fingerprint`,
//! or `unverified`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::git_report::{GitChange, SyncedGitEnv};
use super::git_review::{landed_event, landings, Landing};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::git_history::{claimed_times, judge_commit, CommitVerdict};
use crate::domain::timeline::{decide_drift, DriftDecision, BASELINE_KEY};
use crate::domain::{redact, Digest, Event, EventKind, NewEvent};
use crate::gitops::file::{ImageSelector, RepositoryMatcher};
use crate::gitops::{
    digest_changes, file_history, image_reader, Deployed, FileChange, FileHistory, FileState,
    RemoteClone,
};
use crate::signing::{CommitSigner, TrustedKeys, Unverified};
use crate::store::chain::format_at;
use crate::store::Store;
use crate::{Error, Result};

/// A git environment to read: its place and how its file names the app's image.
pub(super) struct GitEnv {
    pub app: String,
    pub env: String,
    pub repository: String,
    pub git: String,
    pub file: String,
    pub branch: String,
    matcher: RepositoryMatcher,
    selector: Option<ImageSelector>,
}

impl GitEnv {
    /// How the file names the app's repository.
    pub fn matcher(&self) -> &RepositoryMatcher {
        &self.matcher
    }

    /// The environment's `image` selector, when it has one.
    pub fn selector(&self) -> Option<&ImageSelector> {
        self.selector.as_ref()
    }
}

/// What [`read`] found for one environment.
pub(super) struct GitRead {
    pub env: GitEnv,
    /// The branch tip.
    pub tip: String,
    /// The file's history from the recorded commit (or the root, on a first sync).
    pub history: FileHistory,
    /// The file at the tip.
    pub tip_state: FileState,
    /// What the file deployed at the recorded commit (`None` on a first sync or after a rewrite).
    pub before: Option<Deployed>,
    /// The newest observation, and whether it named a commit (`false`: first sync).
    pub last: Option<Event>,
    pub first: bool,
    /// Each change's signature status, in `history.changes` order.
    pub signatures: Vec<std::result::Result<CommitSigner, Unverified>>,
    /// Lines found after reading (an image the registry does not have), for the report.
    pub problems: Vec<String>,
    /// Promotions pushed for review that a change of `history` brought onto the branch.
    pub landings: Vec<Landing>,
}

impl GitRead {
    /// The digest the file pins at the tip, when it pins one.
    pub fn tip_digest(&self) -> Option<Digest> {
        digest_of(&self.tip_state)
    }
}

/// The git environments of one app (or all), in the workspace's order.
pub(super) fn targets(ws: &Workspace, app: Option<&str>) -> Result<Vec<GitEnv>> {
    let mut out = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        for e in &a.environments {
            let Some(g) = e.git_target() else { continue };
            let git = ws.git(&g.git)?;
            let repository = ws.env_repository(a, e).to_string();
            let matcher = RepositoryMatcher::for_repository(ws, &repository)
                .map_err(|err| err.context(format!("{} {}", a.name, e.name)))?;
            let selector = g
                .image
                .as_deref()
                .map(ImageSelector::parse)
                .transpose()
                .map_err(|err| err.context(format!("{} {} image selector", a.name, e.name)))?;
            out.push(GitEnv {
                app: a.name.clone(),
                env: e.name.clone(),
                repository,
                git: g.git.clone(),
                file: g.file.clone(),
                branch: git.branch.clone(),
                matcher,
                selector,
            });
        }
    }
    Ok(out)
}

/// Fetch each `[[git]]` repository once (every branch its environments need, in one git run, on
/// a blocking thread: it is network), then walk each environment's file from the commit its
/// newest observation recorded. Writes nothing to the history; the first failure is the error.
pub(super) async fn read(
    ws: &Workspace,
    store: &Store,
    envs: Vec<GitEnv>,
    keys: &TrustedKeys,
    now: DateTime<Utc>,
) -> Result<Vec<GitRead>> {
    let mut by_git: BTreeMap<String, Vec<GitEnv>> = BTreeMap::new();
    let mut order = Vec::new();
    for e in envs {
        order.push((e.app.clone(), e.env.clone()));
        by_git.entry(e.git.clone()).or_default().push(e);
    }
    let mut out = Vec::new();
    for (name, envs) in by_git {
        let config = ws.git(&name)?;
        let url = ws.git_clone_url(&name)?;
        let shown = redact(&config.url);
        let mut branches: Vec<String> = Vec::new();
        for e in &envs {
            if !branches.contains(&e.branch) {
                branches.push(e.branch.clone());
            }
        }
        let (dir, wanted, git) = (ws.git_clone_dir(&name), branches.clone(), name.clone());
        let (clone, tips) = tokio::task::spawn_blocking(move || -> Result<_> {
            let clone = RemoteClone::open_or_create(&dir, &url)
                .map_err(|e| e.context(format!("sync git '{git}' ({shown})")))?;
            let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            let tips = clone
                .fetch_branches(&wanted)
                .map_err(|e| e.context(format!("sync git '{git}'")))?;
            Ok((clone, tips))
        })
        .await
        .map_err(|e| Error::internal(format!("the git fetch of '{name}' stopped: {e}")))??;
        let shown = redact(&config.url);
        let repo = clone.repo()?;
        for e in envs {
            let tip = branches
                .iter()
                .zip(&tips)
                .find(|(b, _)| **b == e.branch)
                .and_then(|(_, t)| t.clone())
                .ok_or_else(|| {
                    Error::new(
                        crate::Code::NotFound,
                        format!(
                            "sync {} {}: git '{name}' ({shown}) has no branch '{}'; push the branch, or set `branch` of [[git]] '{name}' in tollgate.toml to the branch Argo CD or Flux applies",
                            e.app, e.env, e.branch
                        ),
                    )
                })?;
            let last = store.last_observation(&e.app, &e.env)?;
            let stop = last
                .as_ref()
                .filter(|o| o.data_str("git") == Some(e.git.as_str()))
                .and_then(|o| o.data_str("commit"))
                .map(str::to_owned);
            let (history, tip_state, before) = {
                let reader = image_reader(&e.file, &e.matcher, e.selector.as_ref());
                let context = |err: Error| {
                    err.context(format!(
                        "sync {} {} ({name}:{} on {})",
                        e.app, e.env, e.file, e.branch
                    ))
                };
                let history = file_history(&repo, &tip, &e.file, stop.as_deref(), &reader)
                    .map_err(context)?;
                let read_at = |commit: &str| -> Result<FileState> {
                    Ok(match repo.file_at(commit, &e.file)? {
                        None => FileState::Missing,
                        Some(bytes) => match reader(&bytes) {
                            Ok(image) => FileState::Image(image),
                            Err(err) => FileState::Invalid(err.message),
                        },
                    })
                };
                let tip_state = match history.latest() {
                    Some(c) if c.commit == tip => c.state.clone(),
                    _ => read_at(&tip).map_err(context)?,
                };
                let before = match (&stop, &history.rewritten, &history.since) {
                    (Some(_), None, Some(since)) => {
                        Some(read_at(since).map_err(context)?.deployed())
                    }
                    _ => None,
                };
                (history, tip_state, before)
            };
            let signatures = history
                .changes
                .iter()
                .map(|c| c.verify(keys, Some(now)))
                .collect();
            let mut problems = Vec::new();
            let landed = landings(store, &repo, &e, &history, &mut problems)?;
            out.push(GitRead {
                first: stop.is_none(),
                env: e,
                tip,
                history,
                tip_state,
                before,
                last,
                signatures,
                problems,
                landings: landed,
            });
        }
    }
    out.sort_by_key(|r| {
        order
            .iter()
            .position(|(a, e)| *a == r.env.app && *e == r.env.env)
    });
    Ok(out)
}

/// Whether `commit` is the commit of an open promotion journal entry of this app ×
/// environment (pushed, not yet recorded): that promotion records the move itself when it
/// finishes, or recovery does; until then the commit is no drift.
pub(super) fn in_flight_promotion(
    store: &Store,
    app: &str,
    env: &str,
    commit: &str,
) -> Result<bool> {
    Ok(store
        .journal_open()?
        .iter()
        .any(|p| p.app == app && p.to_env == env && p.commit.as_deref() == Some(commit)))
}

/// `Name <email>` of a commit's author.
fn author(c: &FileChange) -> String {
    format!("{} <{}>", c.author.name, c.author.email)
}

/// What a file state says, for a report line: `None` when it pins a digest.
fn state_problem(r: &GitEnv, commit: &str, state: &FileState) -> Option<String> {
    let place = format!(
        "{} {} {}:{} at commit {commit}",
        r.app, r.env, r.git, r.file
    );
    match state {
        FileState::Image(image) => match image.digest() {
            Some(_) => None,
            None => Some(format!(
                "{place}: deployed by tag {}, not pinned: the file names {} without a digest, so what runs there is not known; pin it by digest (promote a digest with Tollgate)",
                tag_of(state).unwrap_or_default(),
                r.repository
            )),
        },
        FileState::Missing => Some(format!(
            "{place}: the file is not there; restore it, or point the environment at the file that now holds the image"
        )),
        FileState::Invalid(why) => Some(format!("{place}: {why}")),
    }
}

/// The tag of a reference by tag only (`latest` when none is written).
fn tag_of(state: &FileState) -> Option<String> {
    match state.deployed() {
        Deployed::Tag(t) => Some(t.unwrap_or_else(|| "latest".to_string())),
        _ => None,
    }
}

fn digest_of(state: &FileState) -> Option<Digest> {
    match state.deployed() {
        Deployed::Digest(d) => Some(d),
        _ => None,
    }
}

/// The data every event of this environment carries, at `commit`.
fn base_data(r: &GitEnv, commit: &str) -> Value {
    json!({
        "repository": r.repository,
        "git": r.git,
        "file": r.file,
        "branch": r.branch,
        "commit": commit,
    })
}

/// [`base_data`] of an event made from commit `c`: its author, exact object and signature status.
fn commit_data(
    r: &GitEnv,
    c: &FileChange,
    signed: &std::result::Result<CommitSigner, Unverified>,
) -> Value {
    let mut data = base_data(r, &c.commit);
    data["author"] = author(c).into();
    data["raw_commit"] = String::from_utf8_lossy(&c.raw).into_owned().into();
    match signed {
        Ok(s) => {
            data["signer"] = s.identity.clone().into();
            data["fingerprint"] = s.fingerprint.clone().into();
        }
        Err(why) => data["unverified"] = why.message().into(),
    }
    data
}

/// What [`decide`] found: the events, the report rows, and the journal entries in `review`
/// whose promotion event is among the events (to be marked recorded with them:
/// [`Store::append_landing`]).
pub(super) type Decided = (Vec<NewEvent>, Vec<SyncedGitEnv>, Vec<i64>);

/// The events of one sync for the git environments read, and the report rows. `known`
/// questions go to `store` (nothing is written here); a promotion pushed for review that landed
/// is signed now by its actor (`ws`, `ctx`: the key sources).
pub(super) fn decide(
    ws: &Workspace,
    ctx: &Context,
    store: &Store,
    reads: &[GitRead],
    now: DateTime<Utc>,
) -> Result<Decided> {
    let mut events = Vec::new();
    let mut rows = Vec::new();
    let mut landed = Vec::new();
    for r in reads {
        let e = &r.env;
        let head = store.head(&e.app, &e.env)?;
        let known = head.segment.is_some() || r.last.is_some();
        let mut expected = head.expected.clone();
        let mut drifting = head.drift;
        let mut problems = r.problems.clone();
        let mut changes = Vec::new();
        let branch = format!("{}/{}", e.git, e.branch);
        // The backfill is for a lane the history knows nothing of. One that has stays already
        // (it was a tag environment, or a promotion reached the file before its first sync)
        // keeps them: the file's earlier commits are not replayed over them, and the tip is
        // judged like any later sync's.
        let backfill = r.first && head.segment.is_none();
        if let Some(rw) = &r.history.rewritten {
            problems.push(format!("{} {}: {}", e.app, e.env, rw.message(&branch)));
        }
        let deployed = digest_changes(&r.history.changes, r.before.as_ref());
        let committed: Vec<DateTime<Utc>> = deployed.iter().map(|c| c.committed_at).collect();
        let floor = if backfill {
            None
        } else {
            head.segment.as_ref().map(|s| s.from)
        };
        let times = claimed_times(&committed, floor, now);
        let appended = format_at(now);
        let mut after: Option<DateTime<Utc>> = None;
        for (c, at) in deployed.into_iter().zip(times) {
            let at = after.map_or(at, |a| at.max(a));
            let i = r
                .history
                .changes
                .iter()
                .position(|x| x.commit == c.commit)
                .ok_or_else(|| Error::internal("a digest change not among the changes"))?;
            let signed = &r.signatures[i];
            let signer = signed.as_ref().ok().map(|s| s.identity.clone());
            let digest = digest_of(&c.state);
            let problem = state_problem(e, &c.commit, &c.state);
            let mut change = GitChange {
                commit: c.commit.clone(),
                author: author(c),
                committed_at: c.committed_at,
                digest: digest.clone(),
                outcome: String::new(),
                signer: signer.clone(),
                why: None,
                shared: None,
            };
            let mut data = commit_data(e, c, signed);
            data["appended_at"] = appended.clone().into();
            // A promotion pushed for review that this commit brought onto the branch: recorded
            // from its journal entry (see git_review), by a first sync (the backfill) too.
            let landing = r.landings.iter().find(|l| l.change == i);
            if r.first && !backfill && landing.is_none() {
                change.outcome = "before_history".into();
                changes.push(change);
                continue;
            }
            if backfill && landing.is_none() {
                // The baseline: what ran, from the first day; never drift.
                data[BASELINE_KEY] = true.into();
                if let Some(p) = &problem {
                    data["problem"] = p.clone().into();
                }
                events.push(NewEvent {
                    at,
                    kind: EventKind::Observation,
                    app: e.app.clone(),
                    env: e.env.clone(),
                    digest: digest.clone(),
                    actor: signer,
                    data,
                });
                change.outcome = "baseline".into();
                change.why = problem;
                changes.push(change);
                continue;
            }
            if r.history.rewritten.is_some() {
                // Commits walked after a rewrite are never accepted: the tip is judged below.
                change.outcome = "rewritten".into();
                changes.push(change);
                continue;
            }
            let Some(d) = digest else {
                // Gone, unreadable or by tag only: one line; the tip is judged below.
                problems.extend(problem.clone());
                change.outcome = "problem".into();
                change.why = problem;
                changes.push(change);
                continue;
            };
            // Tollgate's own commit first: its event placed it already (perhaps followed by
            // another promotion, so the history's digest is no longer this one).
            let explained = store.move_of_commit(&e.app, &e.env, &c.commit)?.is_some();
            if !explained && expected.as_ref() == Some(&d) {
                change.outcome = "unchanged".into();
                changes.push(change);
                continue;
            }
            if let Some(l) = landing {
                events.push(landed_event(ws, ctx, store, l, c, now)?);
                // The stay begins now (when a sync saw it land): later commits of this sync
                // are placed after it.
                after = Some(now);
                landed.push(l.entry.id);
                expected = Some(d);
                drifting = false;
                change.outcome = "promotion".into();
                change.why = Some(format!(
                    "promotion {} by {}, pushed for review to {} ({})",
                    l.entry.id,
                    l.entry.actor,
                    l.entry
                        .review_branch
                        .as_deref()
                        .unwrap_or("a review branch"),
                    l.how.as_str().replace('_', "-")
                ));
                changes.push(change);
                continue;
            }
            let in_flight = in_flight_promotion(store, &e.app, &e.env, &c.commit)?;
            match judge_commit(explained, in_flight, signer.is_some()) {
                CommitVerdict::Explained => change.outcome = "promotion".into(),
                CommitVerdict::InFlight => {
                    // Its promotion records the move when it finishes: until then the tip
                    // pinning its digest is no drift.
                    expected = Some(d);
                    change.outcome = "in_flight".into();
                }
                CommitVerdict::Signed => {
                    events.push(NewEvent {
                        at,
                        kind: EventKind::Record,
                        app: e.app.clone(),
                        env: e.env.clone(),
                        digest: Some(d.clone()),
                        actor: signer,
                        data,
                    });
                    expected = Some(d);
                    drifting = false;
                    change.outcome = "record".into();
                }
                CommitVerdict::Drift => {
                    let why = match signed {
                        Ok(_) => "not a listed signature".to_string(),
                        Err(u) => u.message(),
                    };
                    data["why"] = why.clone().into();
                    data["previous"] = json!(expected);
                    data["expected"] = json!(expected);
                    events.push(NewEvent {
                        at,
                        kind: EventKind::Drift,
                        app: e.app.clone(),
                        env: e.env.clone(),
                        digest: Some(d.clone()),
                        actor: None,
                        data,
                    });
                    expected = Some(d);
                    drifting = true;
                    change.outcome = "drift".into();
                    change.why = Some(why);
                }
            }
            changes.push(change);
        }

        // The tip: what the file pins now, judged against what the history says (after the
        // events above), and its observation.
        let digest = digest_of(&r.tip_state);
        let tip_problem = state_problem(e, &r.tip, &r.tip_state);
        if let Some(p) = &tip_problem {
            if !problems.contains(p) {
                problems.push(p.clone());
            }
        }
        let decision = if backfill {
            DriftDecision::Clean
        } else {
            decide_drift(known, expected.as_ref(), drifting, digest.as_ref())
        };
        let mut data = base_data(e, &r.tip);
        if let Some(p) = &tip_problem {
            data["problem"] = p.clone().into();
        }
        let deployed_by_tag = tag_of(&r.tip_state);
        if let Some(t) = &deployed_by_tag {
            data["deployed_by_tag"] = t.clone().into();
        }
        if let Some(rw) = &r.history.rewritten {
            data["rewritten"] = json!({ "lost": rw.lost, "fork": rw.fork });
        }
        if decision == DriftDecision::New {
            let mut drift = data.clone();
            drift["previous"] = json!(r.last.as_ref().and_then(|o| o.digest.clone()));
            drift["expected"] = json!(expected);
            drift["why"] = match (&r.history.rewritten, &tip_problem) {
                (Some(rw), _) => rw.message(&branch),
                (None, Some(p)) => p.clone(),
                (None, None) => "the tip pins a digest no commit of this sync explains".into(),
            }
            .into();
            events.push(NewEvent {
                at: now,
                kind: EventKind::Drift,
                app: e.app.clone(),
                env: e.env.clone(),
                digest: digest.clone(),
                actor: None,
                data: drift,
            });
        }
        events.push(NewEvent {
            at: now,
            kind: EventKind::Observation,
            app: e.app.clone(),
            env: e.env.clone(),
            digest: digest.clone(),
            actor: None,
            data,
        });
        let previous = r.last.as_ref().and_then(|o| o.digest.clone());
        let standing = match decision {
            DriftDecision::Standing => store.last_drift(&e.app, &e.env)?.map(|d| GitChange {
                commit: d.data_str("commit").unwrap_or_default().to_string(),
                author: d.data_str("author").unwrap_or_default().to_string(),
                committed_at: d.at,
                digest: d.digest.clone(),
                outcome: "drift".into(),
                signer: None,
                why: d.data_str("why").map(str::to_owned),
                shared: None,
            }),
            _ => None,
        };
        rows.push(SyncedGitEnv {
            app: e.app.clone(),
            env: e.env.clone(),
            repository: e.repository.clone(),
            git: e.git.clone(),
            file: e.file.clone(),
            branch: e.branch.clone(),
            commit: r.tip.clone(),
            previous: previous.filter(|p| Some(p) != digest.as_ref()),
            expected: head.expected.clone(),
            drift: decision != DriftDecision::Clean,
            digest,
            deployed_by_tag,
            changes,
            standing,
            problems,
        });
    }
    Ok((events, rows, landed))
}
