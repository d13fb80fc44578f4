//! Integration tests against the real Docker engine, one module per topic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod build;
mod cli;
mod common;
mod concurrency;
mod credentials_cli;
mod defaults;
mod disk;
mod engines;
mod errors;
mod faults;
mod input;
mod lifecycle;
mod mounts;
mod ownership;
mod password;
mod persistence;
mod proptests;
mod pull;
mod real_image;
mod sandbox;
mod standin;
mod update;
mod watch;
