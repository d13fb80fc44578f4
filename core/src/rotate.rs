//! A new server password, in force at once: the file is replaced, and a running container is
//! recreated on it (its settings fingerprint changed); the volumes are kept.

use crate::client::Engine;
use crate::error::Result;
use crate::progress::{Progress, Sink};
use crate::settings::SettingsFile;
use crate::{container, credentials, status};

/// What [`rotate_password`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotated {
    /// The container was running and now runs on the new password.
    Recreated,
    /// Nothing runs: the container takes the new password at its next start.
    AtNextStart,
}

/// Replaces the password in `file`'s folder and brings a running container onto it.
pub async fn rotate_password(
    engine: &Engine,
    file: &SettingsFile,
    sink: Sink<'_>,
) -> Result<Rotated> {
    credentials::rotate(file.dir()).map_err(crate::settings::SettingsError::from)?;
    let settings = file.load()?;
    if !status::current(engine, &settings).await?.is_active() {
        return Ok(Rotated::AtNextStart);
    }
    sink(Progress::Stage {
        message: "Recreating the container on the new password (volumes are kept)".into(),
    });
    container::start(engine, &settings, sink).await?;
    Ok(Rotated::Recreated)
}
