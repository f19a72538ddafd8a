//! The human form of a release diff (`tollgate diff`, and the diff section of `tollgate check`).

use tollgate::diff::{LabelsChange, ListChange, ReleaseDiff, SetChange};

use super::time;

fn row(label: &str, value: impl AsRef<str>) {
    say!("  {label:<11}{}", value.as_ref());
}

fn or_unknown(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(not set)")
}

fn set(c: &SetChange) -> String {
    let mut parts: Vec<String> = c.added.iter().map(|a| format!("+{a}")).collect();
    parts.extend(c.removed.iter().map(|r| format!("-{r}")));
    if parts.is_empty() {
        "unchanged".into()
    } else {
        parts.join(" ")
    }
}

fn list(c: &ListChange) -> String {
    let show = |v: &Option<Vec<String>>| match v {
        None => "(not set)".to_string(),
        Some(v) => format!("[{}]", v.join(" ")),
    };
    if c.changed {
        format!("{} → {}", show(&c.from), show(&c.to))
    } else {
        format!("{} (unchanged)", show(&c.to))
    }
}

fn labels(c: &LabelsChange) -> String {
    let mut parts: Vec<String> = c.added.iter().map(|l| format!("+{}", l.key)).collect();
    parts.extend(c.removed.iter().map(|l| format!("-{}", l.key)));
    parts.extend(c.changed.iter().map(|l| format!("~{}", l.key)));
    if parts.is_empty() {
        "unchanged".into()
    } else {
        parts.join(" ")
    }
}

fn bytes(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    match a {
        a if a >= 1024.0 * 1024.0 => format!("{sign}{:.1} MiB", a / 1024.0 / 1024.0),
        a if a >= 1024.0 => format!("{sign}{:.1} KiB", a / 1024.0),
        _ => format!("{sign}{n} B", n = n.unsigned_abs()),
    }
}

pub fn release_diff(d: &ReleaseDiff) {
    match &d.current {
        None => say!(
            "{} {}: nothing runs there yet: first deployment of {}",
            d.app,
            d.env,
            d.candidate.digest
        ),
        Some(c) if d.same_digest => say!(
            "{} {}: {} runs there already: nothing changes",
            d.app,
            d.env,
            c.digest
        ),
        Some(c) => say!(
            "{} {}: {} replaces {}",
            d.app,
            d.env,
            d.candidate.digest,
            c.digest
        ),
    }
    for f in &d.risk_flags {
        say!("  RISK {:<21}{}", f.code, f.text);
    }
    let s = &d.source;
    row(
        "source",
        format!(
            "{}  {} → {}",
            s.repository.as_deref().unwrap_or("(no source label)"),
            or_unknown(&s.from_revision),
            or_unknown(&s.to_revision)
        ),
    );
    if let Some(url) = &s.compare_url {
        row("compare", url);
    }
    row(
        "version",
        format!(
            "{} → {}",
            or_unknown(&d.version.from),
            or_unknown(&d.version.to)
        ),
    );
    let t = |t: &Option<chrono::DateTime<chrono::Utc>>| t.as_ref().map_or("?".into(), time);
    row(
        "created",
        format!(
            "{} → {}{}",
            t(&d.created.from),
            t(&d.created.to),
            if d.created.built_before_current {
                "  (built before the current one)"
            } else {
                ""
            }
        ),
    );
    let b = &d.base;
    let base = |n: &Option<String>, dg: &Option<String>| match (n, dg) {
        (None, None) => "(not stated)".to_string(),
        (n, dg) => format!(
            "{}{}",
            n.as_deref().unwrap_or(""),
            dg.as_ref().map(|d| format!("@{d}")).unwrap_or_default()
        ),
    };
    row(
        "base",
        if b.changed {
            format!(
                "{} → {}",
                base(&b.from_name, &b.from_digest),
                base(&b.to_name, &b.to_digest)
            )
        } else {
            format!("{} (unchanged)", base(&b.to_name, &b.to_digest))
        },
    );
    let p = &d.platforms;
    let mut platforms = p.compared.join(", ");
    for a in &p.added {
        platforms.push_str(&format!(" +{a}"));
    }
    for r in &p.removed {
        platforms.push_str(&format!(" -{r}"));
    }
    row("platforms", platforms);
    for pc in &d.per_platform {
        let l = &pc.layers;
        row(
            "layers",
            format!(
                "{}: {} shared, {} added, {} removed, size {}{} ({} → {})",
                pc.platform,
                l.shared,
                l.added,
                l.removed,
                if l.size_change >= 0 { "+" } else { "" },
                bytes(l.size_change),
                bytes(l.size_from as i64),
                bytes(l.size_to as i64)
            ),
        );
    }
    let r = &d.runtime;
    if let Some(p) = &d.platform {
        row("config of", p);
    }
    row(
        "user",
        if r.user.changed {
            format!("{} → {}", or_unknown(&r.user.from), or_unknown(&r.user.to))
        } else {
            format!("{} (unchanged)", or_unknown(&r.user.to))
        },
    );
    row("entrypoint", list(&r.entrypoint));
    row("cmd", list(&r.cmd));
    row("ports", set(&r.exposed_ports));
    row(
        "env names",
        format!("{}  (values are never shown)", set(&r.env_names)),
    );
    row("volumes", set(&r.volumes));
    row("labels", labels(&r.labels));
}

/// The deployment file's edit that promoting the candidate would commit (`git_preview`), or
/// why it could not be read; nothing for an environment with a registry tag.
pub fn file_edit(preview: Option<&tollgate::api::GitPreview>, error: Option<&str>) {
    if let Some(e) = error {
        row("file", format!("not read: {e}"));
        return;
    }
    let Some(p) = preview else { return };
    let tip: String = p.tip.chars().take(12).collect();
    row(
        "file",
        format!(
            "{}:{} on {} at {tip} (pins {})",
            p.git, p.file, p.branch, p.pinned
        ),
    );
    if p.changes.is_empty() {
        say!("             pins the candidate already: nothing to commit");
    }
    for c in &p.changes {
        if let Some(before) = &c.before {
            say!("  {:>9} - {before}", c.line);
        }
        say!("  {:>9} + {}", c.line, c.after);
    }
    match &p.review_branch {
        Some(b) => row("commit", format!("signed, pushed for review to {b}")),
        None => row("commit", format!("signed, pushed onto {}", p.branch)),
    }
}
