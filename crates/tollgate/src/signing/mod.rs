//! Approval signing: Ed25519 keys kept only in the OS keychain, SSHSIG signatures
//! (namespace `tollgate-approval`, sha512) over the canonical approval message.
//!
//! OWNER: signing helper.
