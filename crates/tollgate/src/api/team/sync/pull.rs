//! Pulling: the referrers of every digest of interest, 32 at a time; verified approvals are
//! imported at once, verified moves (promotions, rollbacks, records) where they fit this
//! history: before a sync decides drift ([`TeamStep::begin`]), so that the move they explain
//! is no drift, and after its observations ([`TeamStep::finish`]) for moves already there.

use std::collections::{HashMap, HashSet};

use futures::stream::{self, StreamExt};

use super::agree;
use super::channel::{self, Problem};
use super::import::{fits, import, keep_unplaced, Fit, Found};
use super::publish::{retry_unshared, team_in, Teams};
use super::trust::{judge, Skip, Verified, What};
use super::{Interest, TeamSyncReport};
use crate::api::open::Registries;
use crate::api::Context;
use crate::config::Workspace;
use crate::diff::DiffSummary;
use crate::domain::Digest;
use crate::signing::{EventMessage, MovePlace};
use crate::store::Store;
use crate::team::{known_entry, repository_for, Fallbacks, Seen, SkipReason};
use crate::{Error, Result};

/// How many digests are asked about at once.
const PARALLEL_PULLS: usize = 32;

/// A verified move that did not fit yet, with the release diff of a promotion or rollback.
struct Pending {
    found: Found,
    verified: Verified,
    diff: Option<DiffSummary>,
    /// A move into a deployment file whose commit this desktop's clone does not show on the
    /// branch pinning the signed digest: why ([`agree::disagreement`]); never imported.
    disagrees: Option<String>,
}

impl Pending {
    fn message(&self) -> &EventMessage {
        match &self.verified.what {
            What::Move(m) => m,
            What::Approval(_) | What::Verdict(_) | What::Incident(_) | What::Check(_) => {
                unreachable!("only moves wait")
            }
        }
    }

    /// The `[[git]]` entry a move into a deployment file names.
    fn git(&self) -> Option<String> {
        match self.message().place() {
            Ok(MovePlace::Git { git, .. }) => Some(git),
            _ => None,
        }
    }
}

/// The team step of one sync (or of one digest before a promotion), between its two halves.
pub(crate) struct TeamStep {
    report: TeamSyncReport,
    pending: Vec<Pending>,
    /// The index digest read per (repository, subject), stored by [`Self::finish`].
    indexes: Vec<(String, Digest, Option<Digest>)>,
    /// How many digests were asked about (shown as the last pull in Settings → Team).
    asked: usize,
    /// The team channel problems met (each kept and said in `report.problems`).
    problems: Vec<Problem>,
}

impl TeamStep {
    /// Nothing to do (`[team] share = false`).
    pub(crate) fn off() -> Self {
        TeamStep {
            report: TeamSyncReport::default(),
            pending: Vec::new(),
            indexes: Vec::new(),
            asked: 0,
            problems: Vec::new(),
        }
    }

    /// The team step failed as a whole (`e`): named in one line, kept nowhere else; the sync
    /// goes on without it.
    pub(crate) fn failed(e: &Error) -> Self {
        let mut step = TeamStep::off();
        let problem = Problem::step(&e.message);
        step.report.problems.push(problem.line.clone());
        step.problems.push(problem);
        step
    }

    /// A problem met: kept, said, and remembered for this step.
    fn problem(
        &mut self,
        store: &mut Store,
        problem: Problem,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        tracing::warn!(line = %problem.line, "team channel problem");
        problem.keep(store, &mut self.report, at)?;
        self.problems.push(problem);
        Ok(())
    }

    /// The `[[git]]` entries the pending moves name, in their order.
    fn pending_gits(&self) -> Vec<String> {
        self.pending.iter().filter_map(Pending::git).collect()
    }

    /// The problem that left `digest`'s referrers unread in this step, if any.
    fn unread(&self, digest: &Digest) -> Option<&Problem> {
        self.problems
            .iter()
            .find(|p| p.unread && p.subject.as_ref().is_none_or(|s| s == digest))
    }

    /// Retry unshared events, pull the referrers of every digest of interest, import verified
    /// approvals and every verified move that continues its lane. Call before deciding drift.
    /// `fetch_git`: fetch the deployment repositories teammates' moves name before checking
    /// them (`agree`; a sync has fetched them already).
    /// A subject whose referrers cannot be read (or kept listed) is a [`Problem`]: named, kept,
    /// and the others go on; an error is only what stops the whole step (the caller names it
    /// and goes on without the team: [`Self::failed`]).
    #[tracing::instrument(skip_all, fields(digests = interest.len()))]
    pub(crate) async fn begin(
        ws: &Workspace,
        ctx: &Context,
        store: &mut Store,
        interest: &[Interest],
        retry: bool,
        fetch_git: bool,
    ) -> Result<TeamStep> {
        let mut step = TeamStep::off();
        if !ws.config.team.share {
            return Ok(step);
        }
        let mut registries = Registries::new(ws, ctx);
        let mut teams: Teams = Teams::new();
        if retry {
            retry_unshared(
                ws,
                ctx,
                store,
                &mut registries,
                &mut teams,
                &mut step.report,
            )
            .await?;
        }
        let identities = ws.config.identities_digest();
        // 1. Which team repository each digest of interest is asked in, and what was seen there.
        let mut asks = Vec::with_capacity(interest.len());
        for i in interest {
            let app = ws.app(&i.app)?;
            let repository = repository_for(ws, app).to_string();
            if team_in(&mut teams, &mut registries, &repository)?.is_some() {
                let seen = store.team_seen(&repository, &i.digest, &identities)?;
                asks.push((i.clone(), repository, seen));
            }
        }
        // 2. Pull them all, PARALLEL_PULLS at a time (the registry handle bounds requests
        //    further), after one probe and one tag list per repository (which fallback tags
        //    exist).
        let teams = &teams;
        let fallbacks = &fallbacks_of(teams, &asks).await;
        let pulls: Vec<_> = stream::iter(asks)
            .map(|(i, repository, seen)| async move {
                let (team, path) = teams
                    .get(&repository)
                    .and_then(Option::as_ref)
                    .expect("only repositories that can share are asked");
                let known = fallbacks.get(&repository).unwrap_or(&Fallbacks::Unknown);
                let pulled = team.pull_in(path, &i.digest, &seen, known).await;
                (i, repository, pulled)
            })
            .buffered(PARALLEL_PULLS)
            .collect()
            .await;
        // 3. Verify, in the order of `interest`; import approvals now, moves where they fit.
        let now = ctx.clock.now();
        step.asked = pulls.len();
        let mut verdicts = Vec::new();
        for (i, repository, pulled) in pulls {
            let pulled = match pulled {
                Ok(p) => p,
                Err(e) => {
                    let registry = teams
                        .get(&repository)
                        .and_then(Option::as_ref)
                        .map_or(String::new(), |(t, _)| t.registry().display_name());
                    let p = Problem::unread(&i.app, &repository, &registry, &i.digest, &e.message);
                    step.problem(store, p, now)?;
                    continue;
                }
            };
            let Some((team, path)) = teams.get(&repository).and_then(Option::as_ref) else {
                continue;
            };
            let mut relisted = true;
            if let Some(line) = pulled.referrers.lost_line(&repository, &i.digest) {
                step.report.skipped.push(line);
                let known: Vec<_> = store
                    .team_artifacts(&repository, &i.digest)?
                    .iter()
                    .filter(|a| a.shared && pulled.referrers.lost.contains(&a.digest))
                    .filter_map(|a| known_entry(&a.digest, a.size, &a.kind))
                    .collect();
                if let Err(e) = team.ensure_listed(path, &i.digest, &known).await {
                    let lost = pulled.referrers.lost.len();
                    let p = Problem::relist(&i.app, &repository, &i.digest, lost, &e.message);
                    step.problem(store, p, now)?;
                    relisted = false;
                }
            }
            if relisted {
                store.clear_team_problem(&repository, Some(&i.digest))?;
            }
            if !pulled.referrers.unchanged {
                store.forget_stale_skipped(&repository, &i.digest, &identities)?;
            }
            let report = &mut step.report;
            for s in &pulled.skipped {
                let line = s.line(&repository);
                // A Tollgate entry whose artifact is not a well-formed one: not fetched again.
                let listed = s
                    .digest
                    .as_deref()
                    .and_then(|d| Digest::parse(d).ok())
                    .filter(|d| s.lasting && pulled.referrers.listing.contains(d));
                if let Some(artifact) = listed {
                    let kind = pulled
                        .referrers
                        .listing
                        .entries
                        .iter()
                        .find(|e| e.digest == artifact)
                        .and_then(|e| e.kind())
                        .map_or("", |k| k.as_str());
                    channel::remember(
                        store,
                        &identities,
                        &repository,
                        &i.digest,
                        &artifact,
                        kind,
                        SkipReason::Malformed,
                        &line,
                        now,
                    )?;
                }
                report.skipped.push(line);
            }
            channel::repeat_remembered(
                store,
                report,
                &repository,
                &i.digest,
                &identities,
                &pulled.remembered,
                now,
            )?;
            for f in &pulled.fetched {
                if store
                    .team_artifact(&f.manifest.digest)?
                    .is_some_and(|a| a.event_seq.is_some())
                {
                    continue;
                }
                let size = pulled
                    .referrers
                    .listing
                    .entries
                    .iter()
                    .find(|e| e.digest == f.manifest.digest)
                    .map_or(0, |e| e.size);
                let found = Found {
                    repository: repository.clone(),
                    subject: i.digest.clone(),
                    size,
                    artifact: f.manifest.digest.clone(),
                    kind: f.manifest.kind,
                };
                match judge(ws, store, &i.app, &i.digest, f, now)? {
                    Ok(verified) => match verified.what {
                        What::Approval(_) => match import(ws, store, &found, &verified, None, now)?
                        {
                            None => report.imported += 1,
                            Some(skip) => {
                                note_skip(store, report, &identities, &skip, &found, now)?
                            }
                        },
                        What::Move(_) => step.pending.push(Pending {
                            found,
                            verified,
                            diff: None,
                            disagrees: None,
                        }),
                        What::Verdict(_) | What::Incident(_) => verdicts.push((found, verified)),
                        What::Check(_) => match import(ws, store, &found, &verified, None, now)? {
                            None => report.imported_checks += 1,
                            Some(skip) => {
                                note_skip(store, report, &identities, &skip, &found, now)?
                            }
                        },
                    },
                    Err(skip) => note_skip(store, report, &identities, &skip, &found, now)?,
                }
            }
            step.indexes.push((
                repository.clone(),
                i.digest.clone(),
                pulled.referrers.index_digest.clone(),
            ));
        }
        // 4. Rejections and unrejections in the order they were signed (an unrejection lifts
        //    the rejection before it in the history), then moves in the order they were
        //    signed; each move imported may make the next fit.
        verdicts.sort_by(|(fa, a), (fb, b)| {
            let at = |v: &Verified| match &v.what {
                What::Verdict(m) => m.at.clone(),
                What::Incident(m) => m.at.clone(),
                _ => String::new(),
            };
            (at(a), &fa.artifact).cmp(&(at(b), &fb.artifact))
        });
        for (found, verified) in &verdicts {
            match import(ws, store, found, verified, None, now)? {
                None if matches!(verified.what, What::Incident(_)) => {
                    step.report.imported_incidents += 1
                }
                None => step.report.imported_rejections += 1,
                Some(skip) => note_skip(store, &mut step.report, &identities, &skip, found, now)?,
            }
        }
        // 5. What each teammate's promotion or rollback changes, read from the registry as a
        //    local promotion reads it (by digest: as sound as one made here; best effort), for
        //    the reports' revision range and risk flags.
        //    A move into a deployment file is checked against this desktop's clone of the
        //    repository (the two must agree: `agree`), fetched first when asked (once each).
        let failed = if fetch_git {
            agree::fetch_named(ws, &step.pending_gits()).await
        } else {
            Vec::new()
        };
        for p in &mut step.pending {
            p.diff = release_diff(ws, &mut registries, p.message()).await;
            p.disagrees = agree::disagreement(ws, p.message()).unwrap_or_else(|e| {
                Some(format!(
                    "its signed commit cannot be checked against this desktop's clone of the repository ({}); it counts for nothing here until it can",
                    e.message
                ))
            });
            let git = p.git();
            if let (Some(why), Some(git)) = (&mut p.disagrees, git) {
                if let Some((_, e)) = failed.iter().find(|(g, _)| *g == git) {
                    why.push_str(&format!(" (fetching git '{git}' failed: {e})"));
                }
            }
        }
        step.pending.sort_by(|a, b| {
            (&a.message().at, &a.found.artifact).cmp(&(&b.message().at, &b.found.artifact))
        });
        step.apply(ws, store, now, true)?;
        Ok(step)
    }

    /// Import every pending move that fits (`continuing`: see [`fits`]), until none does.
    fn apply(
        &mut self,
        ws: &Workspace,
        store: &mut Store,
        now: chrono::DateTime<chrono::Utc>,
        continuing: bool,
    ) -> Result<()> {
        loop {
            let mut imported = false;
            let mut i = 0;
            while i < self.pending.len() {
                if self.pending[i].disagrees.is_some() {
                    i += 1;
                    continue;
                }
                if let Fit::No(_) = fits(store, self.pending[i].message(), continuing)? {
                    i += 1;
                    continue;
                }
                let p = self.pending.remove(i);
                match import(ws, store, &p.found, &p.verified, p.diff.as_ref(), now)? {
                    None => self.report.imported_events += 1,
                    Some(skip) => {
                        let identities = ws.config.identities_digest();
                        note_skip(store, &mut self.report, &identities, &skip, &p.found, now)?
                    }
                }
                imported = true;
            }
            if !imported {
                return Ok(());
            }
        }
    }

    /// After the sync's observations: import the moves that are there already, name the ones
    /// that fit nowhere and keep each once as an `unplaced` event (so that the conflict rules
    /// see it), and remember the index digests read (not for a subject that still holds such a
    /// move, so that it is read again next time and imported if it comes to fit).
    pub(crate) fn finish(
        mut self,
        ws: &Workspace,
        ctx: &Context,
        store: &mut Store,
    ) -> Result<TeamSyncReport> {
        if !ws.config.team.share {
            return Ok(self.report);
        }
        let now = ctx.clock.now();
        self.apply(ws, store, now, false)?;
        let mut again: HashSet<(String, Digest)> = HashSet::new();
        for p in &self.pending {
            let why = match (&p.disagrees, fits(store, p.message(), false)?) {
                (Some(why), _) => why.clone(),
                (None, Fit::No(why)) => why,
                _ => continue,
            };
            let kept = match keep_unplaced(store, &p.found, &p.verified, &why, now)? {
                Some(seq) => {
                    self.report.unplaced += 1;
                    format!("kept as unplaced event {seq}")
                }
                None => "kept as an unplaced event already".to_string(),
            };
            self.report.skipped.push(format!(
                "not imported: {} {} in {} signed by {}: {why}; it explains no tag move here ({kept}: conflicts are checked against it)",
                p.found.kind.as_str(),
                p.found.artifact,
                p.found.repository,
                p.message().signer
            ));
            again.insert((p.found.repository.clone(), p.found.subject.clone()));
        }
        for (repository, subject, index) in &self.indexes {
            if !again.contains(&(repository.clone(), subject.clone())) {
                store.set_team_index_digest(repository, subject, index.as_ref())?;
            }
        }
        self.report.still_unshared = store.unshared_team_artifacts()?.len();
        let r = &self.report;
        store.set_team_last_pull(ctx.clock.now(), self.asked, r.imported, r.untrusted)?;
        Ok(self.report)
    }
}

/// Before promoting or approving (`verb`) `digest` of `app`: pull its referrers afresh (one
/// pull), so that teammates' approvals and the approvals their promotions consumed are known.
/// Nothing when sharing is off. Fails closed: a pull that fails, or a team channel that cannot
/// be read for this digest, refuses in one line saying why and what to do.
#[tracing::instrument(skip(ws, ctx, store))]
pub(crate) async fn pull_digest(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    app: &str,
    digest: &Digest,
    verb: &str,
) -> Result<TeamSyncReport> {
    if !ws.config.team.share {
        return Ok(TeamSyncReport::default());
    }
    let interest = [Interest {
        app: app.to_string(),
        digest: digest.clone(),
    }];
    let step = TeamStep::begin(ws, ctx, store, &interest, false, true)
        .await
        .map_err(|e| {
            Error::refused(format!(
                "{verb} refused: cannot pull the team's events on {digest} ({}); a teammate may have used or given approvals there that this desktop does not know yet: try again when the registry answers, or turn sharing off with [team] share = false in tollgate.toml",
                e.message
            ))
        })?;
    if let Some(p) = step.unread(digest) {
        return Err(channel::refusal(verb, digest, p));
    }
    step.finish(ws, ctx, store)
}

/// Before a rollback of `digest` of `app`: [`pull_digest`], but the team channel never blocks
/// it: the rollback goes on with the history this desktop holds. `Some(line)`: what could not
/// be read, for one warning line and the rollback event's `data.team_unread`.
#[tracing::instrument(skip(ws, ctx, store))]
pub(crate) async fn pull_for_rollback(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    app: &str,
    digest: &Digest,
) -> Result<Option<String>> {
    if !ws.config.team.share {
        return Ok(None);
    }
    let interest = [Interest {
        app: app.to_string(),
        digest: digest.clone(),
    }];
    let unread = |why: &str| {
        format!(
            "the rollback goes on with the history this desktop holds: it could not read the team's events on {digest} ({why}); teammates' approvals or moves of it may be missing here"
        )
    };
    let step = match TeamStep::begin(ws, ctx, store, &interest, false, true).await {
        Ok(step) => step,
        Err(e) => return Ok(Some(unread(&e.message))),
    };
    let line = step.unread(digest).map(|p| unread(&p.reason));
    match step.finish(ws, ctx, store) {
        Ok(_) => Ok(line),
        Err(e) => Ok(Some(line.unwrap_or_else(|| unread(&e.message)))),
    }
}

/// What each team repository asked about says of its fallback tags
/// ([`crate::team::TeamRegistry::fallbacks`], probed with its first digest of interest), all
/// repositories at once (the registry handle bounds requests). A repository whose tags cannot
/// be listed is `Unknown`: each of its digests is then asked about on its own, as without the
/// list (the pull reports any error). Built with a loop, not a stream closure over borrows,
/// so that the future stays `Send` for the desktop's commands.
async fn fallbacks_of(
    teams: &Teams,
    asks: &[(Interest, String, Seen)],
) -> HashMap<String, Fallbacks> {
    let mut repositories: Vec<&str> = Vec::new();
    let mut probes = Vec::new();
    for (i, repository, _) in asks {
        if repositories.contains(&repository.as_str()) {
            continue;
        }
        if let Some((team, path)) = teams.get(repository).and_then(Option::as_ref) {
            repositories.push(repository);
            probes.push(team.fallbacks(path, &i.digest));
        }
    }
    let found = futures::future::join_all(probes).await;
    repositories
        .into_iter()
        .zip(found)
        .map(|(repository, found)| {
            let found = found.unwrap_or_else(|e| {
                tracing::debug!(repository, error = %e.message, "tags not listed");
                Fallbacks::Unknown
            });
            (repository.to_string(), found)
        })
        .collect()
}

/// The release diff of teammate's move `m` (a promotion: its source environment's repository
/// against the target's previous digest; a rollback: within the target's repository); `None`
/// for a record, or when the registry cannot say (logged).
async fn release_diff(
    ws: &Workspace,
    registries: &mut Registries<'_>,
    m: &EventMessage,
) -> Option<DiffSummary> {
    if m.kind == crate::signing::DEPLOYMENT_KIND {
        return None;
    }
    let app = ws.app(&m.app).ok()?;
    let target = ws.env(app, &m.env).ok()?;
    let source = match &m.from {
        Some(from) => ws.env(app, from).ok()?,
        None => target,
    };
    let mut open = || -> Result<_> {
        let src = registries.get(ws.env_repository(app, source))?;
        Ok((src, registries.get(ws.env_repository(app, target))?))
    };
    let ((src, src_path), (dst, dst_path)) = match open() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(digest = %m.digest, error = %e.message, "no release diff for a teammate's move");
            return None;
        }
    };
    let previous = m.previous.as_deref().and_then(|p| Digest::parse(p).ok());
    crate::api::diff::summary_for_promotion(
        (&src, &src_path),
        (&dst, &dst_path),
        &m.app,
        &m.env,
        &m.digest,
        previous.as_ref(),
    )
    .await
}

/// Note `skip` of the artifact at `found` (`team status`, the sync's line) and, where fetching
/// it again cannot change the verdict while the identities stay the same (untrusted, replayed),
/// remember it so it is not fetched again.
fn note_skip(
    store: &mut Store,
    report: &mut TeamSyncReport,
    identities: &Digest,
    skip: &Skip,
    found: &Found,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let line = skip.note(store, report, found, now)?;
    if let Some(reason) = skip.remembered_as() {
        channel::remember(
            store,
            identities,
            &found.repository,
            &found.subject,
            &found.artifact,
            found.kind.as_str(),
            reason,
            &line,
            now,
        )?;
    }
    Ok(())
}
