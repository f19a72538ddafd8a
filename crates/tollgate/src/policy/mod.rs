//! Per-environment gates a promotion must pass: approvals, roles, soak time, four-eyes.
//!
//! OWNER: signing helper.
