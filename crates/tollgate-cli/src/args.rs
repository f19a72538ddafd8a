//! The command line's arguments (clap): the commands and their flags.

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
    /// Write a starter tollgate.toml, or (with --registry) one made from what a registry holds
    Init(InitArgs),
    /// Create a self-contained demo workspace (local OCI layout + history) and print its path
    Demo(DemoArgs),
    /// Store registry credentials in the OS keychain, once the registry accepted them
    Login(LoginArgs),
    /// Remove a registry's credentials from the OS keychain
    Logout(LogoutArgs),
    /// Add a registry to tollgate.toml (tested with its credentials before anything is stored)
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Add an app with its environments to tollgate.toml
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Add an approver to tollgate.toml: a public key someone handed over, or this machine's
    Approver {
        #[command(subcommand)]
        command: ApproverCommand,
    },
    /// Resolve every environment tag, record observations and drift
    Sync(SyncArgs),
    /// Current digest per app and environment, with drift flags
    Status(StatusArgs),
    /// What ran where and when: digest, from, until, how it got there
    Timeline(TimelineArgs),
    /// Record a deployment of an exact digest
    Record(RecordArgs),
    /// Signing key in the OS keychain
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Sign an approval of one digest for one move (needs --confirm with its first 12 hex digits)
    Approve(ApproveArgs),
    /// Promote an approved digest into the next environment (same bytes, read back, recorded)
    Promote(PromoteArgs),
    /// Put an earlier digest of an environment back, with the same gates
    Rollback(RollbackArgs),
    /// Show the policy checklist for a promotion without doing it
    Check(CheckArgs),
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
    Diff(DiffArgs),
    /// Write an audit report: PDF for people, CSV for spreadsheets, JSON for tools (checkable offline)
    Export(ExportArgs),
    /// Check the database's hash chain (or an exported JSON report)
    Verify(VerifyArgs),
    /// The team's history in the registry, as this desktop knows it
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// Signed incidents on a digest in an environment: open one (it blocks promoting the digest
    /// out of there and restarts its soak when closed), or close it
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
    },
    /// Sign that a [[checks]] check passed or failed for a digest, optionally attaching its report to the image
    Attest(AttestArgs),
    /// Save the report an attestation names (fetched from the registry by its signed sha256 and checked against it)
    FetchReport(FetchReportArgs),
}

// The arguments of each command (`tollgate COMMAND --help` shows the variant's doc comment).

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder to create (must not exist or be empty)
    #[arg(default_value = "tollgate-demo")]
    pub dir: PathBuf,
    /// The identity to create a key for when this machine has none (default: USER@HOST)
    #[arg(long = "as", value_name = "ID")]
    pub r#as: Option<String>,
    /// Do not list this machine's identity as an approver of the demo (no key is created)
    #[arg(long)]
    pub without_signing: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Make the workspace from this registry (https://host[:port]): its repositories, their
    /// tags, environments suggested from tag names (dev, test, qa, staging, prod, production)
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// A repository path to add (repeatable); default: every one the registry's catalog lists
    #[arg(long, value_name = "PATH", requires = "registry")]
    pub repository: Vec<String>,
    /// This person's approver id: listed as the first approver (its keychain key created if
    /// missing), one approval needed into every environment after the first
    #[arg(long, value_name = "ID", requires = "registry")]
    pub approver: Option<String>,
    /// Registry user; the password is read from standard input and kept in the OS keychain
    /// once the registry accepted it (default: credentials stored by `tollgate login`)
    #[arg(long, requires_all = ["registry", "password_stdin"])]
    pub username: Option<String>,
    /// Read the registry password from standard input (with --username)
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Overwrite an existing file
    #[arg(long, requires = "registry")]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Registry name from tollgate.toml, or a host[:port]
    pub registry: String,
    #[arg(long)]
    pub username: String,
    /// Read the password from standard input (required: passwords never go on the command line)
    #[arg(long, required = true)]
    pub password_stdin: bool,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// Registry name from tollgate.toml, or a host[:port]
    pub registry: String,
}

/// What an edit of tollgate.toml shares: the diff is printed, then the file is written
/// (comments and order kept) unless --dry-run.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// Print the diff of tollgate.toml and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Add a [[registries]] entry; the registry must answer (GET /v2/) with the credentials
    /// given (stored in the OS keychain once it accepted them), or with the stored ones
    Add(RegistryAddArgs),
}

#[derive(Debug, clap::Args)]
pub struct RegistryAddArgs {
    /// Its name in tollgate.toml (apps' repositories start with it: NAME/team/api)
    pub name: String,
    /// https://host[:port] (a bare host means https), http://127.0.0.1:PORT, or oci:PATH
    pub url: String,
    /// Allow plain http to a host that is not loopback
    #[arg(long)]
    pub insecure: bool,
    /// Registry user; the password is read from standard input
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input (with --username)
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub edit: EditArgs,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Add an [[apps]] entry with its environments, in promotion order
    Add(AppAddArgs),
}

#[derive(Debug, clap::Args)]
pub struct AppAddArgs {
    pub name: String,
    /// <registry name>/<repository path>
    #[arg(long)]
    pub repository: String,
    /// An environment and its registry tag, NAME=TAG or NAME (tag = name); repeat, in order
    #[arg(long = "env", value_name = "NAME[=TAG]", required = true)]
    pub envs: Vec<String>,
    #[command(flatten)]
    pub edit: EditArgs,
}

#[derive(Debug, Subcommand)]
pub enum ApproverCommand {
    /// Add an [[approvers]] entry
    Add(ApproverAddArgs),
}

#[derive(Debug, clap::Args)]
pub struct ApproverAddArgs {
    /// The approver's id (default with --me: this machine's key id)
    #[arg(long, required_unless_present = "me")]
    pub id: Option<String>,
    /// Their OpenSSH public key line (what their `tollgate key show` prints)
    #[arg(long, conflicts_with = "me", required_unless_present = "me")]
    pub key: Option<String>,
    /// Add this machine's signing key instead of a pasted one
    #[arg(long)]
    pub me: bool,
    /// A role (repeatable)
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    #[command(flatten)]
    pub edit: EditArgs,
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[arg(long)]
    pub app: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub app: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// What ran at that moment instead: RFC 3339 (2026-11-25T08:00:00Z) or before now (-3h, -2d)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Full digests and deployment file paths (the table is then wider than 120 columns)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, clap::Args)]
pub struct TimelineArgs {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// Only what ran at that moment: RFC 3339 (2026-11-25T08:00:00Z) or before now (-3h, -2d)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub env: String,
    /// REGISTRY/REPOSITORY@sha256:HEX
    #[arg(long)]
    pub image: String,
    /// Who deployed it (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
    #[arg(long)]
    pub actor: Option<String>,
    /// When it was deployed, RFC 3339, in the past (default: now); soak still counts from now
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    #[arg(long)]
    pub app: String,
    /// Target environment
    #[arg(long)]
    pub to: String,
    /// sha256:HEX, or a prefix of at least 12 hex digits the history knows
    #[arg(long)]
    pub digest: String,
    /// The first 12 hex digits of the digest, typed to confirm
    #[arg(long)]
    pub confirm: String,
    /// The role you approve in (default: your only role)
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// Approver id (default: $TOLLGATE_APPROVER, then the id of `key init`)
    #[arg(long)]
    pub approver: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    #[arg(long)]
    pub app: String,
    /// Target environment
    #[arg(long)]
    pub to: String,
    /// sha256:HEX, or a prefix of at least 12 hex digits the history knows
    #[arg(long)]
    pub digest: String,
    /// Who promotes (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub env: String,
    /// sha256:HEX (or a 12+ hex digit prefix) of a digest that ran there before
    #[arg(long)]
    pub digest: String,
    /// Why: required (and signed) when the rollback passes only under the policy's `rollback = { approvals = N }` (an emergency rollback)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who rolls back (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub to: String,
    /// sha256:HEX, or a prefix of at least 12 hex digits the history knows
    #[arg(long)]
    pub digest: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[arg(long)]
    pub app: String,
    /// Target environment
    #[arg(long)]
    pub to: String,
    /// sha256:HEX or a 12+ hex digit prefix of the candidate (default: what the environment before --to runs)
    #[arg(long)]
    pub digest: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_parser = ["pdf", "csv", "json"])]
    pub format: String,
    #[arg(long)]
    pub app: Option<String>,
    #[arg(long)]
    pub env: Option<String>,
    /// Start of the period, inclusive: RFC 3339, or a date alone (midnight UTC)
    #[arg(long)]
    pub since: Option<String>,
    /// End of the period, exclusive: RFC 3339, or a date alone (midnight UTC)
    #[arg(long)]
    pub until: Option<String>,
    /// The report file (replaced atomically if it is an existing regular file)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print the export summary as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// An exported JSON report to verify instead of the database
    pub file: Option<PathBuf>,
    /// Check a report that has no seal (version 1, or exported where no listed key could
    /// sign), and say what that leaves unproven
    #[arg(long, requires = "file")]
    pub allow_unsealed: bool,
    #[arg(long)]
    pub json: bool,
    /// Also check the database against the signed checkpoints in the team's registry
    #[arg(long, conflicts_with = "file")]
    pub checkpoints: bool,
}

#[derive(Debug, clap::Args)]
pub struct AttestArgs {
    #[arg(long)]
    pub app: String,
    /// sha256:HEX
    #[arg(long)]
    pub digest: String,
    /// The [[checks]] name (e.g. load-test)
    #[arg(long)]
    pub check: String,
    /// pass or fail
    #[arg(long, value_name = "pass|fail")]
    pub result: String,
    /// What was checked and what it showed, in one line (signed; at most 500 characters)
    #[arg(long)]
    pub summary: String,
    /// A link to the run or review (http(s)://)
    #[arg(long)]
    pub url: Option<String>,
    /// A report file to attach to the image in the registry (its sha256, size and media type are signed)
    #[arg(long, value_name = "REPORT")]
    pub file: Option<PathBuf>,
    /// Who attests (default: $TOLLGATE_ACTOR, the identity whose key is in TOLLGATE_SIGNING_KEY or ssh-agent, this machine's identity)
    #[arg(long)]
    pub actor: Option<String>,
    /// Print the receipt as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct FetchReportArgs {
    #[arg(long)]
    pub app: String,
    /// The report's sha256 as the attestation states it (sha256: optional)
    #[arg(long, value_name = "SHA256")]
    pub report: String,
    /// File to write (replaced only once the whole report arrived and matched)
    #[arg(long)]
    pub out: PathBuf,
    /// Print what was written as JSON
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `reject` and `unreject`.
#[derive(Debug, clap::Args)]
pub struct VerdictArgs {
    #[arg(long)]
    pub app: String,
    /// sha256:HEX, or a prefix of at least 12 hex digits the history knows
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
        #[arg(long, conflicts_with = "git")]
        id: Option<String>,
        /// Print the allowed_signers file of every identity tollgate.toml lists, for git
        /// (namespaces="git"): `git -c gpg.ssh.allowedSignersFile=FILE verify-commit` checks
        /// promotion commits with it
        #[arg(long)]
        git: bool,
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

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Sign that a digest has an incident in an environment (blocks promoting it out of there)
    Open(IncidentOpenArgs),
    /// Sign the close of an open incident (its environment and digest are the open one's)
    Close(IncidentCloseArgs),
}

#[derive(Debug, clap::Args)]
pub struct IncidentOpenArgs {
    #[arg(long)]
    pub app: String,
    /// The environment the digest has the incident in
    #[arg(long)]
    pub env: String,
    /// sha256:HEX
    #[arg(long)]
    pub digest: String,
    /// Your team's incident id (one word, e.g. INC-42)
    #[arg(long)]
    pub id: String,
    /// What is wrong, in one line (signed and shown in every checklist)
    #[arg(long)]
    pub summary: String,
    /// Who signs (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
    #[arg(long)]
    pub actor: Option<String>,
    /// Print the receipt as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct IncidentCloseArgs {
    #[arg(long)]
    pub app: String,
    /// The id of the open incident
    #[arg(long)]
    pub id: String,
    /// How it was resolved, in one line (signed)
    #[arg(long)]
    pub resolution: String,
    /// Who signs (default: $TOLLGATE_ACTOR, this machine's listed signing identity, then $USER)
    #[arg(long)]
    pub actor: Option<String>,
    /// Print the receipt as JSON
    #[arg(long)]
    pub json: bool,
}
