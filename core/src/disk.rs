//! What the instance costs on disk, from the engine's own disk-usage endpoint (`/system/df`, as
//! `docker system df -v`), and cleaning up what it left behind.
//!
//! "Ours" is exact: images that `start`/`update`/`occ build` build carry the instance label, so a
//! rebuilt image's old, now untagged version is found by label and `dangling`. Our builds use the
//! engine's classic builder, whose cache is the images' own parent layers: removing an old image
//! removes its untagged parents, which is our build cache. The engine's BuildKit cache is
//! reported as what it is, the engine's (every `docker build` on it shares it), and never pruned.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::SystemDataUsageResponse;
use bollard::query_parameters::{DataUsageOptions, PruneImagesOptions};
use serde::Serialize;

use crate::client::Engine;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::volume::INSTANCE_LABEL;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskUsage {
    /// The image the container runs; `None` when it is not on this machine.
    pub image: Option<ImageUsage>,
    /// The three volumes, in the settings' order; `size` is `None` for a volume not created yet.
    pub volumes: Vec<VolumeUsage>,
    /// Our untagged old images, which Clean up removes.
    pub dangling: DanglingUsage,
    /// The engine's BuildKit cache: shared by every build on the engine; never cleaned by us.
    pub engine_build_cache: BuildCacheUsage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageUsage {
    pub name: String,
    pub id: String,
    /// All its layers.
    pub size: u64,
    /// Layers other images use too.
    pub shared_size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeUsage {
    pub name: String,
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DanglingUsage {
    pub count: usize,
    /// What removing them frees: their layers no other image uses.
    pub size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BuildCacheUsage {
    pub count: usize,
    pub size: u64,
}

/// What Clean up did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cleaned {
    /// Image records the engine deleted (old images and their untagged parents).
    pub images_deleted: usize,
    pub space_freed: u64,
}

fn bytes(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn is_dangling(tags: &[String]) -> bool {
    tags.iter().all(|t| t == "<none>:<none>")
}

/// The image, volumes and caches of this instance, as the engine counts them.
pub async fn usage(engine: &Engine, settings: &Settings) -> Result<DiskUsage> {
    let image_id = crate::image::local_image_id(engine, &settings.image).await?;
    let df = system_df(engine).await?;
    let images = df.images.unwrap_or_default();
    let image = image_id.and_then(|id| {
        images.iter().find(|i| i.id == id).map(|i| ImageUsage {
            name: settings.image.clone(),
            id: i.id.clone(),
            size: bytes(i.size),
            shared_size: bytes(i.shared_size),
        })
    });
    let mut dangling = DanglingUsage::default();
    for i in images.iter().filter(|i| {
        is_dangling(&i.repo_tags) && i.labels.get(INSTANCE_LABEL) == Some(&settings.instance)
    }) {
        dangling.count += 1;
        dangling.size += bytes(i.size).saturating_sub(bytes(i.shared_size));
    }
    let found: HashMap<String, Option<u64>> = df
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            (
                v.name,
                v.usage_data.map(|u| u.size).filter(|s| *s >= 0).map(bytes),
            )
        })
        .collect();
    let volumes = settings
        .volumes()
        .into_iter()
        .map(|(name, _)| VolumeUsage {
            size: found.get(&name).copied().flatten(),
            name,
        })
        .collect();
    let cache = df.build_cache.unwrap_or_default();
    let engine_build_cache = BuildCacheUsage {
        count: cache.len(),
        size: cache.iter().filter_map(|c| c.size).map(bytes).sum(),
    };
    Ok(DiskUsage {
        image,
        volumes,
        dangling,
        engine_build_cache,
    })
}

/// How long to wait for another client's disk-usage count to finish: the engine counts one at a
/// time and refuses a second meanwhile.
const DF_BUSY_WAIT: Duration = Duration::from_secs(60);

async fn system_df(engine: &Engine) -> Result<SystemDataUsageResponse> {
    let deadline = Instant::now() + DF_BUSY_WAIT;
    let mut pause = Duration::from_millis(100);
    loop {
        match engine.api().df(None::<DataUsageOptions>).await {
            Ok(df) => return Ok(df),
            Err(e) => {
                let message = crate::error::engine_message(&e);
                if !message.contains("already running") || Instant::now() >= deadline {
                    return Err(engine.classify(e, Error::Docker));
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// Removes our dangling images (and with them the untagged parents our builds left); never a
/// volume, never an image in use, never anyone else's.
pub async fn clean(engine: &Engine, settings: &Settings) -> Result<Cleaned> {
    let options = PruneImagesOptions {
        filters: Some(HashMap::from([
            ("dangling".to_string(), vec!["true".to_string()]),
            (
                "label".to_string(),
                vec![format!("{INSTANCE_LABEL}={}", settings.instance)],
            ),
        ])),
    };
    let pruned = engine
        .api()
        .prune_images(Some(options))
        .await
        .map_err(|e| engine.classify(e, Error::Docker))?;
    Ok(Cleaned {
        images_deleted: pruned
            .images_deleted
            .unwrap_or_default()
            .iter()
            .filter(|d| d.deleted.is_some())
            .count(),
        space_freed: pruned.space_reclaimed.map(bytes).unwrap_or(0),
    })
}
