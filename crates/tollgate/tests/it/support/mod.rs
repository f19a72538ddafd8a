//! Test harness: temp workspaces, registries, images.
