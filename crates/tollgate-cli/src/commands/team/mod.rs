//! `tollgate team ...`: the team's history in the registry, as this desktop knows it.

pub mod status;
