//! When the team channel fails or misleads (issue 17, "a poisoned or flaky team channel never
//! hides drift"): a subject whose referrers cannot be read or kept listed is one named line,
//! kept for `team status` until a later pull of it succeeds, and the sync goes on with the
//! others; `approve` and `promote` of that digest fail closed ([`refusal`]); skipped artifacts
//! (untrusted, malformed, replayed, needing a newer Tollgate) are remembered and not fetched
//! again until tollgate.toml's identities change ([`remember`], [`repeat_remembered`]).

use chrono::{DateTime, Utc};

use super::TeamSyncReport;
use crate::domain::Digest;
use crate::store::{SkippedRow, Store};
use crate::team::{fallback_tag, SkipReason};
use crate::{Error, Result};

/// A team channel problem met by one pull.
#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub repository: String,
    pub subject: Option<Digest>,
    pub app: String,
    /// What went wrong, in the registry's or the reader's words.
    pub reason: String,
    /// The one line: what is wrong, what was done, what to do.
    pub line: String,
    /// The subject's referrers were not read: teammates' events on it are unknown here.
    pub unread: bool,
}

/// What to do about an unreadable subject: who fixes what.
fn fix(repository: &str, subject: &Digest) -> String {
    format!(
        "whoever has push rights on {repository} removes or repairs what is listed there (the fallback tag {}, or the referrers the registry answers), then sync again",
        fallback_tag(subject)
    )
}

impl Problem {
    /// The referrers of `subject` could not be read (`reason`: the error's one line).
    pub fn unread(
        app: &str,
        repository: &str,
        registry: &str,
        subject: &Digest,
        reason: &str,
    ) -> Problem {
        Problem {
            repository: repository.to_string(),
            subject: Some(subject.clone()),
            app: app.to_string(),
            reason: reason.to_string(),
            line: format!(
                "team channel: the team's events on {app} {subject} in {repository} (registry {registry}) cannot be read: {reason}; sync went on without them (tags, observations and drift are written), and approve or promote of this digest is refused until they can be read: {}",
                fix(repository, subject)
            ),
            unread: true,
        }
    }

    /// Artifacts this history knows that the index of `subject` lost could not be listed again.
    pub fn relist(
        app: &str,
        repository: &str,
        subject: &Digest,
        lost: usize,
        reason: &str,
    ) -> Problem {
        Problem {
            repository: repository.to_string(),
            subject: Some(subject.clone()),
            app: app.to_string(),
            reason: reason.to_string(),
            line: format!(
                "team channel: {lost} event(s) on {app} {subject} that the referrers in {repository} no longer list could not be listed again: {reason}; they count in this history, and teammates do not see them until a sync by someone with push rights on {repository} lists them again",
            ),
            unread: false,
        }
    }

    /// The whole team step failed (`reason`): nothing was pulled or published in this sync.
    pub fn step(reason: &str) -> Problem {
        Problem {
            repository: String::new(),
            subject: None,
            app: String::new(),
            reason: reason.to_string(),
            line: format!(
                "team channel: the team step failed: {reason}; sync went on without it (tags, observations and drift are written): fix it and sync again, or set [team] share = false in tollgate.toml"
            ),
            unread: true,
        }
    }

    /// Keep it for `team status` and say it in the sync's report.
    pub fn keep(
        &self,
        store: &mut Store,
        report: &mut TeamSyncReport,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if !self.repository.is_empty() {
            store.note_team_problem(
                &self.repository,
                self.subject.as_ref(),
                &self.app,
                &self.line,
                at,
            )?;
        }
        report.problems.push(self.line.clone());
        Ok(())
    }
}

/// `approve` / `promote` (`verb`) of `digest`, whose team channel could not be read: refused,
/// naming why and what to do.
pub(super) fn refusal(verb: &str, digest: &Digest, problem: &Problem) -> Error {
    let fix = match &problem.subject {
        Some(s) => fix(&problem.repository, s),
        None => "fix it and try again".to_string(),
    };
    let wherein = if problem.repository.is_empty() {
        String::new()
    } else {
        format!(" in {}", problem.repository)
    };
    Error::refused(format!(
        "{verb} refused (fails closed): the team's events on {digest}{wherein} cannot be read ({}), so teammates' approvals, promotions or rejections of it may be missing here: {fix}, or set [team] share = false in tollgate.toml",
        problem.reason
    ))
}

/// Remember that `artifact` listed under `subject` was skipped for `reason` (its `line` is
/// what the pull printed), so that it is not fetched again while the identities are the same.
#[allow(clippy::too_many_arguments)]
pub(crate) fn remember(
    store: &mut Store,
    identities: &Digest,
    repository: &str,
    subject: &Digest,
    artifact: &Digest,
    kind: &str,
    reason: SkipReason,
    line: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    store.remember_skipped(
        &SkippedRow {
            artifact: artifact.clone(),
            repository: repository.to_string(),
            subject: subject.clone(),
            kind: kind.to_string(),
            reason,
            line: line.to_string(),
            identities: identities.clone(),
            first_seen: at,
            last_seen: at,
        },
        at,
    )
}

/// The remembered artifacts a listing still holds (not fetched): their lines are said again,
/// an untrusted one is counted as such, and each is marked seen now.
pub(super) fn repeat_remembered(
    store: &mut Store,
    report: &mut TeamSyncReport,
    repository: &str,
    subject: &Digest,
    identities: &Digest,
    remembered: &[Digest],
    at: DateTime<Utc>,
) -> Result<()> {
    if remembered.is_empty() {
        return Ok(());
    }
    let rows = store.skipped_artifacts(repository, subject, identities)?;
    for d in remembered {
        let Some(row) = rows.get(d) else { continue };
        match row.reason {
            SkipReason::Untrusted => report.untrusted += 1,
            SkipReason::Replayed => report.replayed += 1,
            SkipReason::Malformed | SkipReason::NeedsNewer => {}
        }
        if matches!(row.reason, SkipReason::Untrusted | SkipReason::Replayed) {
            store.touch_team_untrusted(d, at)?;
        }
        store.touch_skipped(d, at)?;
        report.skipped.push(format!(
            "{} (remembered: not fetched again until tollgate.toml's identities change)",
            row.line
        ));
    }
    Ok(())
}
