//! Section "Approvers' keys": the keys tollgate.toml listed for the approvers when the report
//! was made (a previous key with the time it counts until), against which approval signatures
//! are checked.

use super::canvas::{Canvas, Para, Style, BODY_W, INK, MARGIN_X};
use super::fonts::Font;
use super::table::{end, row, start, Columns};
use super::{heading, local, MONO_BODY, SMALL_MUTED};
use crate::signing::parse_allowed_signers;

/// The approvers of `allowed_signers` (ssh-keygen format) and their keys' fingerprints.
pub(super) fn table(c: &mut Canvas, allowed_signers: &str) {
    heading(c, "Approvers' keys");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "The keys listed for the approvers in tollgate.toml when this report was made; approval signatures are checked against them. A previous key (a key rotation) counts only for approvals signed until the time shown.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Approver", 200.0),
        ("Key fingerprint (SHA-256)", BODY_W - 200.0),
    ];
    start(c, cols);
    let (keys, _) = parse_allowed_signers(allowed_signers);
    let keys = keys.all();
    if keys.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new("No approvers are listed.", SMALL_MUTED)]],
            None,
        );
    }
    for (id, key) in keys {
        let fp = match key.valid_before {
            None => key.fingerprint(),
            Some(until) => format!(
                "{} (previous key: approvals signed until {})",
                key.fingerprint(),
                local(until)
            ),
        };
        row(
            c,
            cols,
            &[
                vec![Para::new(id, Style::new(Font::Regular, 8.0, INK))],
                vec![Para::new(fp, MONO_BODY)],
            ],
            None,
        );
    }
    end(c);
}
