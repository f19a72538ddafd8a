//! The workspace file `tollgate.toml` (contract: docs/src/contracts/workspace-file.md):
//! parsing, validation (the ids and public keys of approvers and signers: `keys`), and the
//! resolved [`Workspace`] every use case works on.

mod checks;
pub mod edit;
mod git;
mod identities;
mod identities_digest;
mod image_ref;
mod keys;
#[cfg(test)]
pub(crate) use identities::test_key;
mod model;
mod workspace;

pub use checks::{is_check_name, CheckConfig, CHECK_NAME_MAX};
pub use git::{GitConfig, GitLocation, PushMode};
pub use keys::{
    parse_approver_key, parse_key_text, parse_until, validate_approver, validate_approver_id,
};
pub use model::{
    AppConfig, ApproverConfig, Config, EnvConfig, EnvTarget, GitTarget, PolicyConfig,
    PreviousKeyConfig, RegistryConfig, RegistryLocation, RollbackRule, SignerConfig, TeamConfig,
    WorkspaceSection,
};
pub use workspace::{Workspace, CONFIG_ENV, DEFAULT_CONFIG};
