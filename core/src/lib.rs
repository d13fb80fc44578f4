//! The opencode container lifecycle on the Docker engine, free of any GUI.
//!
//! - [`discovery`]: where the engine is, as the docker CLI finds it; [`client`]: connecting to it; [`error`]: what can go wrong, in words a user can act on
//! - [`settings`]: the settings file shared by the CLI and the app
//! - [`image`], [`build`]: pull and build, as [`progress::Progress`] events
//! - [`volume`], [`container`]: the three volumes and the container's lifecycle
//! - [`sandbox`]: least privilege and the resource limits the container is created with
//! - [`status`]: the state model and the Docker-event watcher; [`logs`]: the container's output

pub mod activity;
pub mod build;
pub mod client;
pub mod container;
pub mod credentials;
pub mod discovery;
pub mod disk;
pub mod dockerfile;
mod engine_wait;
pub mod engines;
pub mod error;
pub mod format;
mod health;
pub mod image;
pub mod logs;
pub mod mounts;
pub mod ownership;
mod podman;
pub mod progress;
pub mod reference;
pub mod rotate;
pub mod sandbox;
pub mod settings;
pub mod settings_migrate;
pub mod settings_warnings;
pub mod status;
pub mod update;
pub mod usage;
pub mod view;
pub mod volume;

pub use activity::Activity;
pub use client::{Engine, EngineInfo};
pub use error::{Error, Result};
pub use progress::Progress;
pub use settings::{Settings, SettingsFile};
pub use status::{State, Status};
pub use view::{status_view, StatusView, Tone};
