//! Helpers for the end-to-end tests: a tiny WebDriver client and the processes it needs.
