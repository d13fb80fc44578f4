//! Integration tests against the real Docker engine, one module per topic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod build;
mod cli;
mod common;
mod errors;
mod lifecycle;
mod persistence;
mod pull;
mod watch;
