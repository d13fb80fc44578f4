//! Getting the image: build it (see [`crate::build`]) or pull it from an ordered list of sources,
//! turning the engine's output into [`Progress`].
//!
//! A pull is cancelable by dropping the future: the engine stops a pull whose client went away.

use std::time::Duration;

use bollard::query_parameters::{CreateImageOptions, TagImageOptions};
use futures_util::StreamExt;

pub use crate::build::{build, build_labelled, BuildArgs, BuildSource};
use crate::client::Engine;
use crate::error::{Error, Result, SourceFailure};
use crate::progress::{Progress, PullTracker, Sink};

/// Label on everything this crate creates, and on images it builds: the app version.
pub const VERSION_LABEL: &str = "dev.opencode-cloud.version";

/// Attempts per pull source for failures that may pass (timeouts, resets, 5xx).
const PULL_ATTEMPTS: u32 = 3;

/// The id of a local image, or `None` when there is no image by that name.
pub async fn local_image_id(engine: &Engine, image: &str) -> Result<Option<String>> {
    match engine.api().inspect_image(image).await {
        Ok(info) => Ok(info.id),
        Err(e) if crate::error::status_code(&e) == Some(404) => Ok(None),
        Err(e) => Err(engine.classify(e, |message| Error::Image {
            action: "inspect",
            image: image.to_string(),
            message,
        })),
    }
}

/// Pulls from each source in turn until one succeeds, then tags the result as `local_name`.
/// Returns the source that served the image.
pub async fn pull(
    engine: &Engine,
    sources: &[String],
    local_name: &str,
    sink: Sink<'_>,
) -> Result<String> {
    let mut failures = Vec::new();
    for source in sources {
        sink(Progress::PullStarted {
            source: source.clone(),
        });
        match pull_with_retries(engine, source, sink).await {
            Ok(()) => {
                tag(engine, source, local_name).await?;
                sink(Progress::PullFinished {
                    source: source.clone(),
                    image: local_name.to_string(),
                });
                return Ok(source.clone());
            }
            // Without an engine no other source can work either.
            Err(PullError::Engine(e)) => return Err(e),
            Err(PullError::Source(reason)) => {
                sink(Progress::PullSourceFailed {
                    source: source.clone(),
                    reason: reason.clone(),
                });
                failures.push(SourceFailure {
                    source: source.clone(),
                    reason,
                });
            }
        }
    }
    Err(Error::PullFailed { attempts: failures })
}

enum PullError {
    Engine(Error),
    Source(String),
}

async fn pull_with_retries(engine: &Engine, source: &str, sink: Sink<'_>) -> Result<(), PullError> {
    let mut attempt = 1;
    loop {
        match pull_once(engine, source, sink).await {
            Err(PullError::Source(reason)) if attempt < PULL_ATTEMPTS && is_transient(&reason) => {
                tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt - 1)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn pull_once(engine: &Engine, source: &str, sink: Sink<'_>) -> Result<(), PullError> {
    let (name, tag) = crate::reference::split_tag(source);
    let options = CreateImageOptions {
        from_image: Some(name.to_string()),
        tag: Some(tag.to_string()),
        ..Default::default()
    };
    let mut stream = engine.api().create_image(Some(options), None, None);
    let mut layers = PullTracker::default();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                let (Some(id), Some(status)) = (info.id, info.status) else {
                    continue;
                };
                // Lines such as "Pulling from library/x" carry the tag as id: not a layer.
                if id == tag || status.starts_with("Pulling from") {
                    continue;
                }
                let detail = info.progress_detail.unwrap_or_default();
                let as_bytes = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
                if let Some(event) = layers.update(
                    &id,
                    &status,
                    as_bytes(detail.current),
                    as_bytes(detail.total),
                ) {
                    sink(event);
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(PullError::Source(error))
            }
            Err(e) => {
                let err = engine.classify(e, Error::Docker);
                return Err(match err {
                    Error::Docker(message) => PullError::Source(message),
                    other => PullError::Engine(other),
                });
            }
        }
    }
    // Podman never says "Pull complete": every layer still ends in a final state.
    for event in layers.finish() {
        sink(event);
    }
    Ok(())
}

/// Failures worth another try: the network hiccuped, the registry was briefly unwell.
fn is_transient(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "timeout",
        "timed out",
        "connection reset",
        "eof",
        "tls handshake",
        "temporary failure",
        "503",
        "502",
        "500 internal",
        "too many requests",
    ]
    .iter()
    .any(|t| reason.contains(t))
}

/// Gives `image` a second name `local_name` (a no-op when they are the same).
pub async fn tag(engine: &Engine, image: &str, local_name: &str) -> Result<()> {
    if image == local_name {
        return Ok(());
    }
    let (repo, tag) = crate::reference::split_tag(local_name);
    let options = TagImageOptions {
        repo: Some(repo.to_string()),
        tag: Some(tag.to_string()),
    };
    engine
        .api()
        .tag_image(image, Some(options))
        .await
        .map_err(|e| {
            engine.classify(e, |message| Error::Image {
                action: "tag",
                image: image.to_string(),
                message,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_recognised() {
        assert!(is_transient("net/http: TLS handshake timeout"));
        assert!(is_transient("read: connection reset by peer"));
        assert!(!is_transient("manifest unknown"));
        assert!(!is_transient(
            "dial tcp 127.0.0.1:9: connect: connection refused"
        ));
    }
}
