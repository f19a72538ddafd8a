//! Secrets live only here: registry passwords and approval signing keys.
//!
//! [`OsKeychain`] is the real OS keychain (Secret Service on Linux) through `keyring`;
//! [`MemoryKeychain`] is for unit tests only. Use cases take a `&dyn SecretStore`.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Code, Error, Result};

/// Keychain service name for registry credentials; the account is the registry host.
pub const REGISTRY_SERVICE: &str = "tollgate-registry";
/// Keychain service name for approval signing keys; the account is the approver id.
pub const SIGNING_SERVICE: &str = "tollgate-signing-key";

pub trait SecretStore: Send + Sync {
    fn get(&self, service: &str, account: &str) -> Result<Option<String>>;
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<()>;
    fn delete(&self, service: &str, account: &str) -> Result<()>;
}

/// The operating system's keychain.
pub struct OsKeychain;

fn keychain_error(e: keyring::Error) -> Error {
    Error::new(
        Code::Keychain,
        format!("the OS keychain is not available ({e}); on Linux start a Secret Service (e.g. gnome-keyring) in this session and unlock it"),
    )
}

impl SecretStore for OsKeychain {
    fn get(&self, service: &str, account: &str) -> Result<Option<String>> {
        let entry = keyring::Entry::new(service, account).map_err(keychain_error)?;
        match entry.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn set(&self, service: &str, account: &str, secret: &str) -> Result<()> {
        let entry = keyring::Entry::new(service, account).map_err(keychain_error)?;
        entry.set_password(secret).map_err(keychain_error)
    }

    fn delete(&self, service: &str, account: &str) -> Result<()> {
        let entry = keyring::Entry::new(service, account).map_err(keychain_error)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

/// An in-memory keychain for unit tests. Never used by the CLI or the app.
#[derive(Default)]
pub struct MemoryKeychain(Mutex<HashMap<(String, String), String>>);

impl SecretStore for MemoryKeychain {
    fn get(&self, service: &str, account: &str) -> Result<Option<String>> {
        let map = self
            .0
            .lock()
            .map_err(|_| Error::internal("keychain lock poisoned"))?;
        Ok(map
            .get(&(service.to_string(), account.to_string()))
            .cloned())
    }
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<()> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| Error::internal("keychain lock poisoned"))?;
        map.insert(
            (service.to_string(), account.to_string()),
            secret.to_string(),
        );
        Ok(())
    }
    fn delete(&self, service: &str, account: &str) -> Result<()> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| Error::internal("keychain lock poisoned"))?;
        map.remove(&(service.to_string(), account.to_string()));
        Ok(())
    }
}
