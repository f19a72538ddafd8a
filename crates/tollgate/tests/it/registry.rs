//! registry integration tests.
