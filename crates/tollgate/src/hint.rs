//! What the person can do next, as facts, never as words: an error ([`crate::Error::hint`]) or a
//! failed checklist rule ([`crate::policy::RuleResult::fix`]) names the fix by its parts (the
//! app, the environment, the image, the incident), and each front end words it for itself. The
//! CLI writes the command line with its flags (`tollgate-cli`'s `hint.rs`); the desktop names
//! the action in its window (`ui/src/lib/hint.ts`). So no sentence the app shows names a CLI
//! flag, and no sentence the CLI prints names a button.

use serde::Serialize;
use ts_rs::TS;

/// One fix, by its facts. Serialized with a `kind` tag (`snake_case`); kinds may be added,
/// never renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Hint {
    /// Vouch for what runs in `env`: record `image` (`REGISTRY/REPOSITORY@sha256:HEX`, the
    /// repository the environment reads) as deployed, signed by whoever records it.
    Record {
        app: String,
        env: String,
        image: String,
    },
    /// Nobody is known to have put `image` into `env`: record it, naming who deployed it.
    RecordWho {
        app: String,
        env: String,
        image: String,
    },
    /// Close the open incident `id` of `app` once it is resolved.
    CloseIncident { app: String, id: String },
    /// Attest that `check` passed for `digest` once it did.
    Attest {
        app: String,
        digest: String,
        check: String,
    },
    /// Someone with a role lifts the rejection of `digest` (for `env`, or every environment).
    Unreject {
        app: String,
        digest: String,
        env: Option<String>,
    },
    /// Give this machine a signing key for `id` (and list its public key in tollgate.toml), or
    /// sign with the listed key another way (a key file, ssh-agent).
    SignWithKey { id: String },
    /// Make this machine's signing key for `id` (kept in the OS keychain); `None` when nothing
    /// names the identity yet (the person chooses it).
    KeyInit { id: Option<String> },
    /// Store credentials for the registry at `registry` (its host).
    Login { registry: String },
    /// Read the environments again.
    Sync,
    /// Check the history's hash chain and signatures before trusting it.
    Verify,
    /// `id`'s public key line (from their machine) is what tollgate.toml needs for them.
    HandOverKey { id: String },
    /// Have `id` listed in tollgate.toml (an approver or a `[[signers]]` entry with its public
    /// key), or act as an identity that is listed.
    ListIdentity { id: String },
    /// Nothing names who is acting: name them, or give this machine a listed signing key.
    NameActor,
    /// A reason is required: say why, in one line.
    GiveReason,
    /// The approver holds several roles: choose the one this approval is in.
    ChooseRole { roles: Vec<String> },
    /// Open another workspace file, or write a new one.
    OpenWorkspace,
    /// Name the digest to compare with what runs (there is no candidate to take).
    NameDigest,
}
