//! Temp workspaces and running the real tollgate binary.
