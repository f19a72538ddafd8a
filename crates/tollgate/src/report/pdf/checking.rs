//! The report's last pages: "About this report" (the events and chain range it covers, the
//! chain head it names, the totals), "How to check this report" (for an auditor: what the
//! checks mean and a recipe with stock tools, inline) and "Sign-off" (reviewed by, role, date,
//! signature lines).

use super::canvas::{Canvas, Para, Style, BODY_W, INK, MARGIN_X, MUTED, RULE};
use super::fonts::Font;
use super::title::{key_value, plural};
use super::{heading, local, BODY, LABEL, MONO, MONO_BODY, SMALL_MUTED};
use crate::report::{Meta, Selection, Summary};

/// The recipe the PDF prints for an auditor: a JSON export of the same period checked with
/// `jq`, `sha256sum`, `base64` and `ssh-keygen` only. Run by the tests on real reports.
pub const AUDITOR_RECIPE: &str = r#"r=report.json; last=""
jq -r '.database.head_hash' "$r"   # the chain head: the same hash as in this PDF
jq -r '.events[] | [.seq, .prev_hash, .hash, (.hashed | @base64)] | @tsv' "$r" |
while IFS="$(printf '\t')" read -r seq prev hash hashed; do
got=$({ printf '%s\n' "$prev"; printf '%s' "$hashed" | base64 -d; } | sha256sum | cut -c1-64)
[ "$got" = "$hash" ] || echo "event $seq: its hash does not match its content"
[ -z "$last" ] || [ "$prev" = "$last" ] || echo "event $seq: the link to the event before is broken"
last=$hash; done
jq -r '.events[] | select(.hashed_data != null) | [.seq, (.hashed | sub("^tollgate.event.v2\n"; "")
| fromjson | .data_sha256), (.hashed_data | @base64)] | @tsv' "$r" |
while IFS="$(printf '\t')" read -r seq want data; do
[ "$(printf '%s' "$data" | base64 -d | sha256sum | cut -c1-64)" = "$want" ] ||
echo "event $seq: its data does not match its hash"; done
jq -r '.allowed_signers' "$r" > allowed_signers
jq -r '.events[] | select(.kind == "approval") | [.seq, .actor, (.data.message | @base64),
(.data.signature | @base64)] | @tsv' "$r" |
while IFS="$(printf '\t')" read -r seq who msg sig; do
printf '%s' "$sig" | base64 -d > signature
printf '%s' "$msg" | base64 -d | ssh-keygen -Y verify -f allowed_signers -I "$who" \
-n tollgate-approval -s signature > /dev/null || echo "approval $seq: its signature does not verify"
done"#;

pub(super) fn section(c: &mut Canvas, meta: &Meta, sel: &Selection, summary: &Summary) {
    heading(c, "About this report");
    let events = match (sel.first_seq, sel.last_seq) {
        (Some(a), Some(b)) => {
            let mut paras = vec![Para::new(
                format!(
                    "{} matching the filters, in the chain range from event {a} to event {b}.",
                    plural(sel.matched, "event", "events")
                ),
                BODY,
            )];
            if sel.context > 0 {
                paras.push(
                    Para::new(
                        format!(
                            "Also included: {} from outside the filters that promotions in the period counted.",
                            plural(sel.context, "approval", "approvals")
                        ),
                        SMALL_MUTED,
                    )
                    .gap(2.0),
                );
            }
            if sel.stubs > 0 {
                paras.push(
                    Para::new(
                        format!(
                            "{} of the range outside the filters appear in the JSON export as link stubs (seq and hashes only).",
                            plural(sel.stubs, "other event", "other events")
                        ),
                        SMALL_MUTED,
                    )
                    .gap(2.0),
                );
            }
            paras
        }
        _ => vec![Para::new("No events match the filters.", BODY)],
    };
    key_value(c, "Events", &events);
    let db = &meta.database;
    key_value(
        c,
        "Chain head",
        &[
            Para::new(
                format!(
                    "event {} of the history database ({} events), hash:",
                    db.head_seq, db.events
                ),
                BODY,
            ),
            Para::new(&db.head_hash, MONO_BODY).gap(1.0),
        ],
    );
    if let (Some(last), Some(end)) = (sel.last_seq, &sel.end_hash) {
        if last != db.head_seq {
            key_value(
                c,
                "Range ends at",
                &[
                    Para::new(format!("event {last}, hash:"), BODY),
                    Para::new(end, MONO_BODY).gap(1.0),
                ],
            );
        }
    }

    let totals = summary.apps.iter().fold([0u64; 4], |t, a| {
        [
            t[0] + a.promotions,
            t[1] + a.rollbacks,
            t[2] + a.drift,
            t[3] + a.approvals,
        ]
    });
    key_value(
        c,
        "In this report",
        &[Para::new(
            format!(
                "{}, {}, {}, {}, across {}.",
                plural(totals[0], "promotion", "promotions"),
                plural(totals[1], "rollback", "rollbacks"),
                plural(totals[2], "drift incident", "drift incidents"),
                plural(totals[3], "approval", "approvals"),
                plural(summary.apps.len() as u64, "app", "apps")
            ),
            BODY,
        )],
    );

    how_to_check(c);
}

fn how_to_check(c: &mut Canvas) {
    heading(c, "How to check this report");
    let steps = [
        "This PDF is the readable copy of the history of the period. The history itself is a chain of events: each event's hash covers its content and the hash of the event before it, so no event can be changed, removed or reordered without breaking every hash after it. The chain head hash on page one and in \"About this report\" names exactly which history it describes.",
        "1. Ask for the same period as a JSON report (the release team exports it with the same filters as this PDF). Its events carry everything this PDF shows, with their hashes and signatures.",
        "2. Check that its chain head (database.head_hash) is the hash printed in \"About this report\" above.",
        "3. Check the JSON report with Tollgate (tollgate verify report.json says OK or names each problem), or without Tollgate, with stock tools only (jq, sha256sum, base64 and OpenSSH's ssh-keygen), with the commands below. They print nothing when every hash, link and approval signature holds, and one line per problem otherwise.",
        "4. Compare the approvers' key fingerprints in \"Approvers' keys\" with the keys you trust for those people: a signature proves who approved only if the key is theirs.",
    ];
    for s in steps {
        c.paras(MARGIN_X, BODY_W, &[Para::new(s, BODY).gap(4.0)]);
    }
    c.y -= 6.0;
    let lines: Vec<Para> = AUDITOR_RECIPE.lines().map(|l| Para::new(l, MONO)).collect();
    c.paras(MARGIN_X + 8.0, BODY_W - 8.0, &lines);
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "The commands check the chain and the approvals. The complete stock-tool check (also stubs of left-out events, anchors, the report's seal, the commits of deployment repositories, an approver's previous key by signing time) is printed in the Tollgate book, chapter \"Audit report formats\", section \"Checking a JSON report with ssh-keygen and sha256sum only\".",
            SMALL_MUTED,
        )
        .gap(6.0)],
    );
}

/// The sign-off page: who reviewed the report, in which role, when, and their signature.
pub(super) fn sign_off(c: &mut Canvas, meta: &Meta) {
    heading(c, "Sign-off");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[
            Para::new(
                format!(
                    "We reviewed this audit report of workspace {}, generated {}, naming chain head {} (event {}).",
                    meta.workspace,
                    local(meta.generated_at),
                    meta.database.head_hash,
                    meta.database.head_seq
                ),
                BODY,
            ),
        ],
    );
    for who in [
        "Prepared by (release team)",
        "Reviewed by (compliance)",
        "Reviewed by (auditor)",
    ] {
        c.y -= 24.0;
        if c.room() < 120.0 {
            c.new_page();
        }
        c.paras(
            MARGIN_X,
            BODY_W,
            &[Para::new(who, Style::new(Font::Bold, 10.0, INK))],
        );
        for field in ["Name", "Role", "Date", "Signature"] {
            c.y -= 26.0;
            c.text(MARGIN_X, c.y + 3.0, LABEL, field);
            c.hline(MARGIN_X + 70.0, MARGIN_X + BODY_W, c.y, RULE);
        }
    }
    c.y -= 16.0;
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Sign on paper, or sign this file with a digital signature; either way, keep the JSON report of the same period with it.",
            Style::new(Font::Regular, 8.0, MUTED),
        )],
    );
}
