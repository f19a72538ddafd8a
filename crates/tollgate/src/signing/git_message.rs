//! The message of Tollgate's promotion commit (docs/src/contracts/deployment-repositories.md):
//! subject `Promote <app> sha256:<hex12> to <env>`, then git trailers
//! `Tollgate-App`, `Tollgate-Env`, `Tollgate-Digest`, `Tollgate-From` (a promotion's source
//! environment; none for a rollback) and one `Tollgate-Approval: <sha256>` per consumed
//! approval; and the parser of those trailers from a commit message, for reading history.

use super::message::is_hash;
use crate::domain::Digest;
use crate::{Error, Result};

const APP: &str = "Tollgate-App";
const ENV: &str = "Tollgate-Env";
const DIGEST: &str = "Tollgate-Digest";
const FROM: &str = "Tollgate-From";
const APPROVAL: &str = "Tollgate-Approval";

/// What a promotion commit's trailers state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionTrailers {
    pub app: String,
    pub env: String,
    pub digest: Digest,
    /// The source environment of a promotion; `None` for a rollback.
    pub from: Option<String>,
    /// The sha256 (lower-case hex) of each consumed approval's signed message, sorted.
    pub approvals: Vec<String>,
}

impl PromotionTrailers {
    /// `Promote <app> sha256:<hex12> to <env>`.
    pub fn subject(&self) -> String {
        format!(
            "Promote {} sha256:{} to {}",
            self.app,
            self.digest.short(),
            self.env
        )
    }

    /// The whole commit message: the subject, a blank line, the trailers (approvals sorted).
    /// A value git could not carry in a trailer (empty, a line break, surrounding spaces) or an
    /// approval that is not a sha256 is refused.
    pub fn message(&self) -> Result<String> {
        let mut out = format!("{}\n\n", self.subject());
        let mut line = |key: &str, value: &str| -> Result<()> {
            check_value(key, value)?;
            out.push_str(&format!("{key}: {value}\n"));
            Ok(())
        };
        line(APP, &self.app)?;
        line(ENV, &self.env)?;
        line(DIGEST, self.digest.as_str())?;
        if let Some(from) = &self.from {
            line(FROM, from)?;
        }
        let mut approvals = self.approvals.clone();
        approvals.sort();
        approvals.dedup();
        for a in &approvals {
            if !is_hash(a) {
                return Err(Error::bad_input(format!(
                    "approval id {a:?} is not a sha256 (64 lower-case hex digits)"
                )));
            }
            line(APPROVAL, a)?;
        }
        Ok(out)
    }

    /// The Tollgate trailers of a commit message: `Ok(None)` when it has none (a commit
    /// Tollgate did not make); an error naming the trailer when they are there but incomplete,
    /// repeated or malformed. Read from the last paragraph of `Key: value` lines that holds a
    /// `Tollgate-` trailer (a squash merge may add its own paragraph after them); other
    /// trailers (`Co-authored-by`) and unknown `Tollgate-` keys are ignored.
    pub fn parse(message: &str) -> Result<Option<PromotionTrailers>> {
        let message = message.replace("\r\n", "\n");
        let Some(block) = message.rsplit("\n\n").find_map(|p| {
            let lines: Vec<(&str, &str)> = p
                .trim_matches('\n')
                .lines()
                .map(trailer)
                .collect::<Option<_>>()?;
            lines
                .iter()
                .any(|(k, _)| k.starts_with("Tollgate-"))
                .then_some(lines)
        }) else {
            return Ok(None);
        };
        let one = |key: &str| -> Result<Option<String>> {
            let mut values = block.iter().filter(|(k, _)| *k == key).map(|(_, v)| *v);
            let first = values.next();
            if values.next().is_some() {
                return Err(bad(format!("the trailer {key} appears more than once")));
            }
            Ok(first.map(str::to_string))
        };
        let needed = |key: &str| -> Result<String> {
            one(key)?.ok_or_else(|| bad(format!("the trailer {key} is missing")))
        };
        let app = needed(APP)?;
        let env = needed(ENV)?;
        let digest = Digest::parse(&needed(DIGEST)?).map_err(|e| {
            bad(format!(
                "the trailer {DIGEST} is not a digest: {}",
                e.message
            ))
        })?;
        let from = one(FROM)?;
        let mut approvals = Vec::new();
        for (_, v) in block.iter().filter(|(k, _)| *k == APPROVAL) {
            if !is_hash(v) {
                return Err(bad(format!(
                    "the trailer {APPROVAL} {v:?} is not a sha256 (64 lower-case hex digits)"
                )));
            }
            approvals.push((*v).to_string());
        }
        approvals.sort();
        approvals.dedup();
        Ok(Some(PromotionTrailers {
            app,
            env,
            digest,
            from,
            approvals,
        }))
    }
}

/// `Key: value` (a key of letters, digits and `-`), trimmed; `None` for any other line.
fn trailer(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| (key, value.trim()))
}

fn check_value(key: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.trim() != value || value.contains(['\n', '\r']) {
        return Err(Error::bad_input(format!(
            "{key} {value:?} cannot be written as a git trailer: it must be one line without surrounding spaces"
        )));
    }
    Ok(())
}

fn bad(message: String) -> Error {
    Error::bad_input(format!(
        "the commit's Tollgate trailers are not readable: {message}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn promotion() -> PromotionTrailers {
        PromotionTrailers {
            app: "api".into(),
            env: "production".into(),
            digest: Digest::of(b"image"),
            from: Some("staging".into()),
            approvals: vec!["b".repeat(64), "a".repeat(64)],
        }
    }

    #[test]
    fn the_message_is_the_subject_and_the_trailers() {
        let p = promotion();
        let d = Digest::of(b"image");
        assert_eq!(
            p.message().unwrap(),
            format!(
                "Promote api sha256:{} to production\n\n\
                 Tollgate-App: api\nTollgate-Env: production\nTollgate-Digest: {d}\n\
                 Tollgate-From: staging\nTollgate-Approval: {}\nTollgate-Approval: {}\n",
                d.short(),
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        let rollback = PromotionTrailers {
            from: None,
            approvals: vec![],
            ..p
        };
        let text = rollback.message().unwrap();
        assert!(
            !text.contains("Tollgate-From") && !text.contains("Approval"),
            "{text}"
        );
    }

    #[test]
    fn what_is_written_parses_back() {
        let p = promotion();
        let mut expected = p.clone();
        expected.approvals.sort();
        assert_eq!(
            PromotionTrailers::parse(&p.message().unwrap()).unwrap(),
            Some(expected.clone())
        );
        // A squash merge: a new subject, a body, the trailers, then the forge's own paragraph.
        let squashed = format!(
            "Promote api to production (#12)\n\n* {}\n\nCo-authored-by: Bob <bob@example.com>\n",
            p.message().unwrap()
        );
        assert_eq!(PromotionTrailers::parse(&squashed).unwrap(), Some(expected));
    }

    #[test]
    fn a_commit_without_trailers_is_none() {
        for m in [
            "",
            "Bump api\n",
            "Bump api\n\nSigned-off-by: Bob <bob@example.com>\n",
            "Tollgate-App: api\nmentioned in prose\n",
        ] {
            assert_eq!(PromotionTrailers::parse(m).unwrap(), None, "{m:?}");
        }
    }

    #[test]
    fn broken_trailers_name_what_is_wrong() {
        let d = Digest::of(b"image");
        let cases = [
            (format!("x\n\nTollgate-App: api\nTollgate-Digest: {d}\n"), "Tollgate-Env is missing"),
            (
                format!("x\n\nTollgate-App: api\nTollgate-App: web\nTollgate-Env: p\nTollgate-Digest: {d}\n"),
                "Tollgate-App appears more than once",
            ),
            (
                "x\n\nTollgate-App: api\nTollgate-Env: p\nTollgate-Digest: latest\n".to_string(),
                "Tollgate-Digest is not a digest",
            ),
            (
                format!("x\n\nTollgate-App: api\nTollgate-Env: p\nTollgate-Digest: {d}\nTollgate-Approval: abc\n"),
                "Tollgate-Approval \"abc\" is not a sha256",
            ),
        ];
        for (m, why) in cases {
            let e = PromotionTrailers::parse(&m).unwrap_err();
            assert!(e.message.contains(why), "{m:?}: {}", e.message);
        }
    }

    #[test]
    fn values_git_cannot_carry_are_refused() {
        let mut p = promotion();
        p.env = "prod\nTollgate-App: evil".into();
        assert!(p.message().is_err());
        let mut p = promotion();
        p.approvals = vec!["nope".into()];
        assert!(p.message().is_err());
    }
}
