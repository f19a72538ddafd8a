//! signing integration tests.
