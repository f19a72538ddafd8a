//! The workspace file `tollgate.toml` (contract in DESIGN.md): parsing, validation, and the
//! resolved [`Workspace`] every use case works on.

mod identities;
mod identities_digest;
#[cfg(test)]
pub(crate) use identities::test_key;
mod model;
mod workspace;

pub use model::{
    AppConfig, ApproverConfig, Config, EnvConfig, PolicyConfig, PreviousKeyConfig, RegistryConfig,
    RegistryLocation, SignerConfig, TeamConfig, WorkspaceSection,
};
pub use workspace::{Workspace, CONFIG_ENV, DEFAULT_CONFIG};
