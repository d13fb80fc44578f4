//! Updates a person can trust: know an update exists without downloading it, update keeping the
//! image that worked under a second name, and go back to it when the new one does not come up.
//! Volumes are never touched: the container is recreated on the image, with the same volumes.

use serde::Serialize;

use crate::client::Engine;
use crate::container;
use crate::error::{status_code, Error, Result};
use crate::image;
use crate::progress::{Progress, Sink};
use crate::settings::{ImageMode, Settings};
use crate::status;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "update", rename_all = "snake_case")]
pub enum UpdateCheck {
    /// The local image is what the first answering source has.
    UpToDate { source: String },
    /// The source has another image: `from`/`to` are short digests.
    Available {
        source: String,
        from: String,
        to: String,
    },
    /// There is no local image yet: Start gets it.
    NotDownloaded,
    /// No source could tell (none set, or none answers); `reason` says which.
    Unknown { reason: String },
}

impl UpdateCheck {
    /// The check's words, for `occ update --check`, the tray and the notification.
    pub fn describe(&self) -> String {
        match self {
            UpdateCheck::UpToDate { source } => format!("Up to date with {source}."),
            UpdateCheck::Available { source, from, to } => {
                format!("Update available from {source} ({from} → {to}).")
            }
            UpdateCheck::NotDownloaded => "The image is not here yet: Start gets it.".into(),
            UpdateCheck::Unknown { reason } => format!("Could not check for updates: {reason}"),
        }
    }
}

/// The name the image that ran before an update keeps, so it can be gone back to:
/// `opencode-cloud:local` → `opencode-cloud:local-previous`.
pub fn previous_name(image: &str) -> String {
    let (repo, tag) = crate::reference::split_tag(image);
    format!("{repo}:{tag}-previous")
}

/// Asks the sources, in order, which image they hold now, without downloading it (the engine's
/// distribution endpoint reads the registry's manifest), and compares it with the local image.
/// Build mode has no source to ask: the image is as new as its recipe, which `start` checks.
pub async fn check(engine: &Engine, settings: &Settings) -> Result<UpdateCheck> {
    if settings.image_mode == ImageMode::Build {
        return Ok(UpdateCheck::Unknown {
            reason: "the image is built here (image_mode build): `occ update` rebuilds it from \
                     the Dockerfile, keeping what is cached."
                .into(),
        });
    }
    let local = match engine.api().inspect_image(&settings.image).await {
        Ok(info) => info,
        Err(e) if status_code(&e) == Some(404) => return Ok(UpdateCheck::NotDownloaded),
        Err(e) => {
            return Err(engine.classify(e, |message| Error::Image {
                action: "inspect",
                image: settings.image.clone(),
                message,
            }))
        }
    };
    let local_digests = local.repo_digests.unwrap_or_default();
    let mut unreachable = Vec::new();
    for source in &settings.image_sources {
        let remote = match engine.api().inspect_registry_image(source, None).await {
            Ok(info) => info.descriptor.digest.unwrap_or_default(),
            Err(e) => {
                unreachable.push(format!("{source}: {}", crate::error::engine_message(&e)));
                continue;
            }
        };
        let (repo, _) = crate::reference::split_tag(source);
        let ours = local_digests
            .iter()
            .filter_map(|d| d.split_once('@'))
            .find(|(r, _)| same_repo(r, repo))
            .map(|(_, digest)| digest.to_string());
        return Ok(match ours {
            Some(digest) if digest == remote => UpdateCheck::UpToDate {
                source: source.clone(),
            },
            ours => UpdateCheck::Available {
                source: source.clone(),
                from: short(ours.as_deref().unwrap_or("an image from elsewhere")),
                to: short(&remote),
            },
        });
    }
    Ok(UpdateCheck::Unknown {
        reason: if unreachable.is_empty() {
            "no image source is set.".into()
        } else {
            format!("no source answered ({}).", unreachable.join("; "))
        },
    })
}

/// `docker.io/library/x` and `x` are one repository to the engine's RepoDigests.
fn same_repo(a: &str, b: &str) -> bool {
    let normal = |r: &str| {
        let r = r.strip_prefix("docker.io/").unwrap_or(r);
        r.strip_prefix("library/").unwrap_or(r).to_string()
    };
    normal(a) == normal(b)
}

/// `sha256:0123456789ab…` → `sha256:0123456789ab`.
fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex)) if hex.len() > 12 => format!("{algo}:{}", &hex[..12]),
        _ => digest.to_string(),
    }
}

/// Gets a fresh image and, if the container was up, brings it onto that image. The image that
/// ran before is kept as [`previous_name`]; when the new one does not come up (it exits or never
/// answers its health check), the container goes back to the previous image and the error says
/// so. Volumes are the same throughout.
pub async fn update(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<()> {
    let was_active = status::current(engine, settings).await?.is_active();
    let previous = image::local_image_id(engine, &settings.image).await?;
    let previous_name = previous_name(&settings.image);
    if let Some(id) = &previous {
        image::tag(engine, id, &previous_name).await?;
    }
    // The running session keeps going while the new image is fetched or built.
    let new = container::refresh_image(engine, settings, sink).await?;
    if !was_active {
        return Ok(());
    }
    let failure = match container::start(engine, settings, sink).await {
        Ok(_) => return Ok(()),
        Err(e) if previous.as_ref().is_some_and(|p| *p != new) && e.is_bad_image() => e,
        Err(e) => return Err(e),
    };
    sink(Progress::Stage {
        message: "The new image did not come up: going back to the previous one".into(),
    });
    roll_back_to(engine, settings, &previous_name, sink).await?;
    Err(Error::UpdateRolledBack {
        reason: failure.to_string(),
    })
}

/// Goes back to the image that ran before the last update (`occ rollback`), keeping volumes.
pub async fn rollback(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<()> {
    let previous_name = previous_name(&settings.image);
    if image::local_image_id(engine, &previous_name)
        .await?
        .is_none()
    {
        return Err(Error::NoPreviousImage {
            image: settings.image.clone(),
        });
    }
    roll_back_to(engine, settings, &previous_name, sink).await
}

async fn roll_back_to(
    engine: &Engine,
    settings: &Settings,
    previous_name: &str,
    sink: Sink<'_>,
) -> Result<()> {
    image::tag(engine, previous_name, &settings.image).await?;
    container::start(engine, settings, sink).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_image_keeps_a_name_of_its_own() {
        assert_eq!(
            previous_name("opencode-cloud:local"),
            "opencode-cloud:local-previous"
        );
        assert_eq!(previous_name("ghcr.io/o/x"), "ghcr.io/o/x:latest-previous");
        assert_eq!(
            previous_name("localhost:5000/o/x:1.2"),
            "localhost:5000/o/x:1.2-previous"
        );
    }

    #[test]
    fn digests_and_repositories_compare_as_the_engine_writes_them() {
        assert_eq!(short("sha256:0123456789abcdef0123"), "sha256:0123456789ab");
        assert!(same_repo("docker.io/library/busybox", "busybox"));
        assert!(same_repo("127.0.0.1:5000/x", "127.0.0.1:5000/x"));
        assert!(!same_repo("127.0.0.1:5000/x", "127.0.0.1:5000/y"));
    }
}
