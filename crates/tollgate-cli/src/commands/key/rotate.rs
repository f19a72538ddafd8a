//! `tollgate key rotate`: a new signing key, and the tollgate.toml lines that keep the previous
//! one valid for what it signed.

use tollgate::api::{self, Context};
use tollgate::Result;

use crate::output;

pub fn run(ctx: &Context, id: Option<&str>, json: bool) -> Result<i32> {
    let rotation = api::key_rotate(ctx, id)?;
    output::show(json, &rotation, key_rotation)?;
    Ok(0)
}

fn key_rotation(r: &tollgate::api::KeyRotation) {
    say!(
        "rotated the signing key of {}: {} -> {} (the previous private key is gone from the OS keychain)",
        r.current.id, r.previous.fingerprint, r.current.fingerprint
    );
    say!("In tollgate.toml, in the [[approvers]] entry of {}, write (add the entry to previous_keys if it already has some):", r.current.id);
    say!();
    for line in r.toml.lines() {
        say!("  {line}");
    }
    say!();
    say!(
        "Until tollgate.toml lists the new key, approvals by {} are refused.",
        r.current.id
    );
}
