use std::sync::Arc;

use crate::domain::{Clock, SystemClock};
use crate::keychain::{OsKeychain, SecretStore};

/// What a use case needs from the world besides the workspace: the clock and the keychain.
/// The CLI and the app pass the real ones; tests pass a fixed clock.
#[derive(Clone)]
pub struct Context {
    pub clock: Arc<dyn Clock>,
    pub secrets: Arc<dyn SecretStore>,
}

impl Context {
    /// The real clock and the OS keychain.
    pub fn system() -> Self {
        Context {
            clock: Arc::new(SystemClock),
            secrets: Arc::new(OsKeychain),
        }
    }
}
