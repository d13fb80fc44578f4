//! The opencode image definition, compiled into the program so `occ build` needs no files.

/// The embedded Dockerfile (Ubuntu 24.04, tini, a non-root `opencode` user, a pinned opencode).
pub const DOCKERFILE: &str = include_str!("Dockerfile");
