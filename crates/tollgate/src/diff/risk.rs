//! Risk flags: what a person signing a promotion should look at. Each is a stable code (for
//! scripts and the UI; codes may be added, never renamed) with a one-line text.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::runtime::{is_root, PlatformChange, SetChange};
use super::ReleaseDiff;

/// A risk flag: `code` is stable, `text` says what was found in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskFlag {
    pub code: String,
    pub text: String,
}

/// Every code, most serious first (the order flags are listed in).
pub const RISK_CODES: &[&str] = &[
    "user_root",
    "user_empty",
    "source_changed",
    "built_before_current",
    "platform_removed",
    "base_changed",
    "entrypoint_changed",
    "ports_changed",
    "env_names_changed",
    "volumes_changed",
    "revision_unknown",
    "same_revision",
    "first_deployment",
];

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn set_text(what: &str, c: &SetChange) -> String {
    let mut parts = Vec::new();
    if !c.added.is_empty() {
        parts.push(format!("added {}", list(&c.added)));
    }
    if !c.removed.is_empty() {
        parts.push(format!("removed {}", list(&c.removed)));
    }
    format!("{what}: {}", parts.join("; "))
}

fn quoted(v: &Option<Vec<String>>) -> String {
    match v {
        None => "(not set)".into(),
        Some(v) => format!("[{}]", v.join(" ")),
    }
}

/// The flags of one platform compared.
fn platform_flags(p: &PlatformChange) -> Vec<(&'static str, String)> {
    let r = &p.runtime;
    let mut out = Vec::new();
    if r.user.changed {
        let from = r.user.from.clone().unwrap_or_else(|| "(not set)".into());
        match r.user.to.as_deref() {
            Some(u) if is_root(u) && !r.user.from.as_deref().is_some_and(is_root) => out.push((
                "user_root",
                format!("runs as root now: user {from} → {u}"),
            )),
            None => out.push((
                "user_empty",
                format!("the user is no longer set (was {from}): it runs as the image default, usually root"),
            )),
            _ => {}
        }
    }
    if r.entrypoint.changed || r.cmd.changed {
        let mut parts = Vec::new();
        if r.entrypoint.changed {
            parts.push(format!(
                "entrypoint {} → {}",
                quoted(&r.entrypoint.from),
                quoted(&r.entrypoint.to)
            ));
        }
        if r.cmd.changed {
            parts.push(format!(
                "cmd {} → {}",
                quoted(&r.cmd.from),
                quoted(&r.cmd.to)
            ));
        }
        out.push(("entrypoint_changed", parts.join("; ")));
    }
    if !r.exposed_ports.is_empty() {
        out.push(("ports_changed", set_text("exposed ports", &r.exposed_ports)));
    }
    if !r.env_names.is_empty() {
        out.push((
            "env_names_changed",
            set_text("environment variables", &r.env_names),
        ));
    }
    if !r.volumes.is_empty() {
        out.push(("volumes_changed", set_text("volumes", &r.volumes)));
    }
    out
}

/// The flags of a diff, most serious first, one per code (a platform-specific one names the
/// platforms it was found on when more than one was compared).
pub(super) fn flags(d: &ReleaseDiff) -> Vec<RiskFlag> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    if d.same_digest {
        return Vec::new();
    }
    let Some(current) = &d.current else {
        return vec![RiskFlag {
            code: "first_deployment".into(),
            text: format!(
                "nothing runs in {} yet: this is its first deployment, nothing to compare with",
                d.env
            ),
        }];
    };
    let c = &d.candidate;
    if d.source.repository_changed {
        found.push((
            "source_changed",
            format!(
                "built from another repository: {} → {}",
                current.source.as_deref().unwrap_or("?"),
                c.source.as_deref().unwrap_or("?")
            ),
        ));
    }
    if d.created.built_before_current {
        found.push((
            "built_before_current",
            format!(
                "built before what {} runs now ({} < {}): this goes back to an older build",
                d.env,
                d.created.to.map(|t| t.to_rfc3339()).unwrap_or_default(),
                d.created.from.map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        ));
    }
    if !d.platforms.removed.is_empty() {
        found.push((
            "platform_removed",
            format!(
                "no longer built for {}: hosts on it cannot run the new image",
                list(&d.platforms.removed)
            ),
        ));
    }
    if d.base.changed {
        let side = |n: &Option<String>, dg: &Option<String>| match (n, dg) {
            (Some(n), Some(d)) => format!("{n}@{d}"),
            (Some(n), None) => n.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => "(not stated)".into(),
        };
        found.push((
            "base_changed",
            format!(
                "base image changed: {} → {}",
                side(&d.base.from_name, &d.base.from_digest),
                side(&d.base.to_name, &d.base.to_digest)
            ),
        ));
    }
    let multi = d.per_platform.len() > 1;
    let mut seen_on: Vec<(&'static str, Vec<String>)> = Vec::new();
    for p in &d.per_platform {
        for (code, text) in platform_flags(p) {
            match seen_on.iter_mut().find(|(c, _)| *c == code) {
                Some((_, on)) => on.push(p.platform.clone()),
                None => {
                    seen_on.push((code, vec![p.platform.clone()]));
                    found.push((code, text));
                }
            }
        }
    }
    if multi {
        for (code, on) in &seen_on {
            if let Some((_, text)) = found.iter_mut().find(|(c, _)| c == code) {
                text.push_str(&format!(" (on {})", list(on)));
            }
        }
    }
    match (&current.revision, &c.revision) {
        (Some(a), Some(b)) if a == b => found.push((
            "same_revision",
            format!("same revision {b} as what runs now, in a different image: a rebuild of the same code"),
        )),
        (a, b) if a.is_none() || b.is_none() => {
            let which = match (a.is_none(), b.is_none()) {
                (true, true) => "neither image",
                (true, false) => "what runs now",
                _ => "the candidate",
            };
            found.push((
                "revision_unknown",
                format!("{which} carries no org.opencontainers.image.revision: the code change cannot be named"),
            ));
        }
        _ => {}
    }
    found.sort_by_key(|(code, _)| RISK_CODES.iter().position(|c| c == code));
    found
        .into_iter()
        .map(|(code, text)| RiskFlag {
            code: code.into(),
            text,
        })
        .collect()
}
