use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Tollgate: promote exact image digests between environments, with signed approvals and an
/// append-only, verifiable history.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, propagate_version = true)]
pub struct Cli {
    /// Workspace file (default: $TOLLGATE_CONFIG, then ./tollgate.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// History database (default: [workspace] database, then the platform data dir)
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter tollgate.toml
    Init,
    /// Create a self-contained demo workspace (local OCI layout + history) and print its path
    Demo {
        /// Folder to create (must not exist or be empty)
        #[arg(default_value = "tollgate-demo")]
        dir: PathBuf,
    },
    /// Store registry credentials in the OS keychain
    Login {
        /// Registry name from tollgate.toml, or a host[:port]
        registry: String,
        #[arg(long)]
        username: String,
        /// Read the password from standard input (required: passwords never go on the command line)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Resolve every environment tag, record observations and drift
    Sync {
        #[arg(long)]
        app: Option<String>,
    },
    /// Current digest per app and environment, with drift flags
    Status {
        #[arg(long)]
        app: Option<String>,
        #[arg(long)]
        json: bool,
        /// What ran at that moment instead: RFC 3339 (2026-11-25T08:00:00Z) or before now (-3h, -2d)
        #[arg(long, value_name = "T", allow_hyphen_values = true)]
        at: Option<String>,
    },
    /// What ran where and when: digest, from, until, how it got there
    Timeline {
        #[arg(long)]
        app: String,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        json: bool,
        /// Only what ran at that moment: RFC 3339 (2026-11-25T08:00:00Z) or before now (-3h, -2d)
        #[arg(long, value_name = "T", allow_hyphen_values = true)]
        at: Option<String>,
    },
    /// Record a deployment of an exact digest
    Record {
        #[arg(long)]
        app: String,
        #[arg(long)]
        env: String,
        /// REGISTRY/REPOSITORY@sha256:HEX
        #[arg(long)]
        image: String,
        /// Who deployed it (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
        #[arg(long)]
        actor: Option<String>,
        /// When it was deployed, RFC 3339, in the past (default: now); soak still counts from now
        #[arg(long)]
        at: Option<String>,
    },
    /// Signing key in the OS keychain
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Sign an approval of one digest for one move (needs --confirm with its first 12 hex digits)
    Approve {
        #[arg(long)]
        app: String,
        /// Target environment
        #[arg(long)]
        to: String,
        /// sha256:HEX
        #[arg(long)]
        digest: String,
        /// The first 12 hex digits of the digest, typed to confirm
        #[arg(long)]
        confirm: String,
        /// The role you approve in (default: your only role)
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Approver id (default: $TOLLGATE_APPROVER, then the id of `key init`)
        #[arg(long)]
        approver: Option<String>,
    },
    /// Promote an approved digest into the next environment (same bytes, read back, recorded)
    Promote {
        #[arg(long)]
        app: String,
        /// Target environment
        #[arg(long)]
        to: String,
        /// sha256:HEX
        #[arg(long)]
        digest: String,
        /// Who promotes (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Put an earlier digest of an environment back, with the same gates
    Rollback {
        #[arg(long)]
        app: String,
        #[arg(long)]
        env: String,
        /// sha256:HEX of a digest that ran there before
        #[arg(long)]
        digest: String,
        /// Who rolls back (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the policy checklist for a promotion without doing it
    Check {
        #[arg(long)]
        app: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        digest: String,
        #[arg(long)]
        json: bool,
    },
    /// Sign that a digest must not be promoted into ENV or any later environment (every one without --env)
    Reject {
        #[command(flatten)]
        verdict: VerdictArgs,
    },
    /// Lift the rejection of exactly this scope (same --env, or none), with a reason
    Unreject {
        #[command(flatten)]
        verdict: VerdictArgs,
    },
    /// What changes if the candidate is promoted: revisions, base image, platforms, layers, run-time config, risk flags
    Diff {
        #[arg(long)]
        app: String,
        /// Target environment
        #[arg(long)]
        to: String,
        /// sha256:HEX of the candidate (default: what the environment before --to runs)
        #[arg(long)]
        digest: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write an audit report: PDF for people, CSV for spreadsheets, JSON for tools (checkable offline)
    Export {
        #[arg(long, value_parser = ["pdf", "csv", "json"])]
        format: String,
        #[arg(long)]
        app: Option<String>,
        #[arg(long)]
        env: Option<String>,
        /// Start of the period, RFC 3339, inclusive
        #[arg(long)]
        since: Option<String>,
        /// End of the period, RFC 3339, exclusive
        #[arg(long)]
        until: Option<String>,
        /// The report file (replaced atomically if it is an existing regular file)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print the export summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check the database's hash chain (or an exported JSON report)
    Verify {
        /// An exported JSON report to verify instead of the database
        file: Option<PathBuf>,
        /// Check a report that has no seal (version 1, or exported where no listed key could
        /// sign), and say what that leaves unproven
        #[arg(long, requires = "file")]
        allow_unsealed: bool,
        #[arg(long)]
        json: bool,
        /// Also check the database against the signed checkpoints in the team's registry
        #[arg(long, conflicts_with = "file")]
        checkpoints: bool,
    },
    /// The team's history in the registry, as this desktop knows it
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
}

/// The arguments of `reject` and `unreject`.
#[derive(Debug, clap::Args)]
pub struct VerdictArgs {
    #[arg(long)]
    pub app: String,
    /// sha256:HEX
    #[arg(long)]
    pub digest: String,
    /// The first 12 hex digits of the digest, typed to confirm
    #[arg(long)]
    pub confirm: String,
    /// Why, in one line (required, at most 500 characters; signed and shown in every checklist)
    #[arg(long)]
    pub reason: String,
    /// The first environment it covers (and every later one); default: every environment
    #[arg(long)]
    pub env: Option<String>,
    /// Approver id (default: $TOLLGATE_APPROVER, then the id of `key init`)
    #[arg(long)]
    pub approver: Option<String>,
    /// Print the receipt as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make an Ed25519 signing key, kept only in the OS keychain
    Init {
        /// Your approver id, as listed in tollgate.toml (e.g. alice@example.com)
        #[arg(long)]
        id: String,
    },
    /// Print the public key and the allowed_signers line
    Show {
        #[arg(long)]
        id: Option<String>,
    },
    /// Replace the signing key in the OS keychain with a new one; prints the tollgate.toml lines
    /// that keep the previous key valid for what it signed until now
    Rotate {
        #[arg(long)]
        id: Option<String>,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Sharing on or off, the repositories, the last pull, unshared and untrusted events
    Status {
        #[arg(long)]
        json: bool,
    },
}
