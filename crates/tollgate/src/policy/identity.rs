//! Who is who: when the name of an actor is the id of an approver in `tollgate.toml`.
//!
//! An actor names an approver when it is the approver's id in any letter case
//! (`BOB@example.com` is `bob@example.com`), or when it has no `@` and is the part before the
//! `@` of the approver's id (`bob` is `bob@example.com`). Recording turns such a name into the
//! approver's id when exactly one approver matches; four-eyes excludes every approver it
//! matches, so an ambiguous name never lets anyone through.

use crate::config::ApproverConfig;

/// What an actor's name means among the approvers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity<'a> {
    /// Exactly one approver: this is their id.
    Approver(&'a str),
    /// More than one approver could be meant (`bob` with `bob@a.example` and `bob@b.example`).
    Ambiguous(Vec<&'a str>),
    /// Nobody listed: a name of its own (a CI bot, a person who does not approve).
    Other,
}

/// Whether `actor` names the approver whose id is `id` (see the module documentation).
pub fn same_identity(actor: &str, id: &str) -> bool {
    let actor = actor.trim();
    if actor.is_empty() {
        return false;
    }
    if actor.eq_ignore_ascii_case(id) {
        return true;
    }
    !actor.contains('@')
        && id
            .split_once('@')
            .is_some_and(|(local, _)| local.eq_ignore_ascii_case(actor))
}

/// The approvers `actor` names.
pub fn identify<'a>(approvers: &'a [ApproverConfig], actor: &str) -> Identity<'a> {
    // An exact id (in any case) wins over a shorter name that also matches others.
    if let Some(a) = approvers
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(actor.trim()))
    {
        return Identity::Approver(&a.id);
    }
    let matches: Vec<&str> = approvers
        .iter()
        .filter(|a| same_identity(actor, &a.id))
        .map(|a| a.id.as_str())
        .collect();
    match matches.as_slice() {
        [] => Identity::Other,
        [one] => Identity::Approver(one),
        _ => Identity::Ambiguous(matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approvers(ids: &[&str]) -> Vec<ApproverConfig> {
        ids.iter()
            .map(|id| ApproverConfig {
                id: id.to_string(),
                roles: vec![],
                key: String::new(),
                previous_keys: vec![],
            })
            .collect()
    }

    #[test]
    fn a_name_is_an_approver_by_id_in_any_case_or_by_the_part_before_the_at() {
        let list = approvers(&["bob@example.com", "alice@example.com", "ci-bot"]);
        assert_eq!(
            identify(&list, "bob"),
            Identity::Approver("bob@example.com")
        );
        assert_eq!(
            identify(&list, "BOB@Example.com"),
            Identity::Approver("bob@example.com")
        );
        assert_eq!(
            identify(&list, " Bob "),
            Identity::Approver("bob@example.com")
        );
        assert_eq!(identify(&list, "CI-BOT"), Identity::Approver("ci-bot"));
        // Another domain is another person; a name that is only a prefix is nobody.
        assert_eq!(identify(&list, "bob@corp.example"), Identity::Other);
        assert_eq!(identify(&list, "bo"), Identity::Other);
        assert_eq!(identify(&list, ""), Identity::Other);
        assert!(same_identity("bob", "bob@example.com"));
        assert!(!same_identity("bob@corp.example", "bob@example.com"));
        assert!(!same_identity("", "bob@example.com"));
    }

    #[test]
    fn a_short_name_two_approvers_share_is_ambiguous_unless_it_is_an_id() {
        let list = approvers(&["bob@a.example", "bob@b.example"]);
        assert_eq!(
            identify(&list, "bob"),
            Identity::Ambiguous(vec!["bob@a.example", "bob@b.example"])
        );
        let list = approvers(&["bob@a.example", "bob"]);
        assert_eq!(identify(&list, "bob"), Identity::Approver("bob"));
    }
}
