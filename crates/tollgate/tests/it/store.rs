//! store integration tests.
