//! Environments that live in a deployment repository (GitOps): a file in a git repository pins
//! the image by digest, and promotion is a commit that changes exactly that digest.
//!
//! - [`file`]: the pure rules of the deployment file: which values are the app's image
//!   references, what they pin, and the lossless edit that pins a new digest. No git, no I/O.

pub mod file;
