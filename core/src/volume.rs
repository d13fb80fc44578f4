//! The three named volumes that hold the user's work. Created when missing; removed only by
//! [`remove_all`], which the CLI exposes as its own explicit command.

use std::collections::HashMap;

use bollard::models::VolumeCreateOptions;
use bollard::query_parameters::RemoveVolumeOptions;

use crate::client::Engine;
use crate::error::{status_code, Error, Result};
use crate::settings::Settings;

/// Label on every container and volume of an instance: its instance name.
pub const INSTANCE_LABEL: &str = "dev.opencode-cloud.instance";

/// Creates the instance's volumes that do not exist; returns the names of those it created.
pub async fn ensure(engine: &Engine, settings: &Settings) -> Result<Vec<String>> {
    let mut created = Vec::new();
    for (name, _) in settings.volumes() {
        if exists(engine, &name).await? {
            continue;
        }
        let options = VolumeCreateOptions {
            name: Some(name.clone()),
            labels: Some(HashMap::from([
                (INSTANCE_LABEL.to_string(), settings.instance.clone()),
                (
                    crate::image::VERSION_LABEL.to_string(),
                    env!("CARGO_PKG_VERSION").to_string(),
                ),
            ])),
            ..Default::default()
        };
        engine
            .api()
            .create_volume(options)
            .await
            .map_err(|e| volume_error(engine, e, "create", &name))?;
        created.push(name);
    }
    Ok(created)
}

pub async fn exists(engine: &Engine, name: &str) -> Result<bool> {
    match engine.api().inspect_volume(name).await {
        Ok(_) => Ok(true),
        Err(e) if status_code(&e) == Some(404) => Ok(false),
        Err(e) => Err(volume_error(engine, e, "inspect", name)),
    }
}

/// Deletes the named volumes of this instance and everything in them; returns those that
/// existed. Refuses, deleting nothing, when a name is not one of this instance's volumes, and
/// fails while a container uses them. Only an explicit request naming the volumes gets here.
pub async fn remove(engine: &Engine, settings: &Settings, names: &[String]) -> Result<Vec<String>> {
    let ours: Vec<String> = settings.volumes().into_iter().map(|(n, _)| n).collect();
    if let Some(stranger) = names.iter().find(|n| !ours.contains(n)) {
        return Err(Error::NotOurVolume {
            volume: stranger.clone(),
            instance: settings.instance.clone(),
            ours: ours.join(" "),
        });
    }
    let mut removed = Vec::new();
    for name in names {
        match engine
            .api()
            .remove_volume(name, Some(RemoveVolumeOptions { force: false }))
            .await
        {
            Ok(()) => removed.push(name.clone()),
            Err(e) if status_code(&e) == Some(404) => {}
            Err(e) => return Err(volume_error(engine, e, "remove", name)),
        }
    }
    Ok(removed)
}

fn volume_error(
    engine: &Engine,
    e: bollard::errors::Error,
    action: &'static str,
    name: &str,
) -> Error {
    engine.classify(e, |message| Error::Volume {
        action,
        volume: name.to_string(),
        message,
    })
}
