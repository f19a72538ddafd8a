//! `tollgate key init|show|rotate`: the signing key in the OS keychain.

pub mod init;
pub mod rotate;
pub mod show;

/// The public half of a key, and the line tollgate.toml lists it with.
fn print(info: &tollgate::signing::PublicKeyInfo) {
    say!("approver:        {}", info.id);
    say!("fingerprint:     {}", info.fingerprint);
    say!("public key:      {}", info.public_key);
    say!("allowed_signers: {}", info.allowed_signers_line);
    say!("(hand the public key to whoever keeps tollgate.toml: [[approvers]] key = \"...\"; the private key stays in the OS keychain)");
}
