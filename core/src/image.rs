//! Getting the image: build it from the embedded Dockerfile (or a folder), or pull it from an
//! ordered list of sources, turning the engine's output into [`Progress`].
//!
//! Both are cancelable by dropping the future: the engine stops a build or pull whose client went
//! away, and the classic builder tags only on success, so a cut build leaves no tag behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::query_parameters::{BuildImageOptions, CreateImageOptions, TagImageOptions};
use futures_util::StreamExt;

use crate::client::Engine;
use crate::error::{BuildStep, Error, Result, SourceFailure};
use crate::progress::{Progress, PullTracker, Sink};

/// Label on everything this crate creates, and on images it builds: the app version.
pub const VERSION_LABEL: &str = "dev.opencode-cloud.version";

/// How many output lines a failed build step reports.
const FAILED_STEP_LINES: usize = 20;
/// Attempts per pull source for failures that may pass (timeouts, resets, 5xx).
const PULL_ATTEMPTS: u32 = 3;

/// What to build from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSource {
    /// The Dockerfile compiled into this program.
    Embedded,
    /// A folder holding a `Dockerfile` and whatever it copies.
    Dir(PathBuf),
}

impl BuildSource {
    pub fn from_setting(dir: Option<&Path>) -> BuildSource {
        dir.map_or(BuildSource::Embedded, |d| BuildSource::Dir(d.to_path_buf()))
    }

    /// The build context as an uncompressed tar archive in memory.
    fn context_tar(&self) -> Result<Vec<u8>> {
        let mut tar = tar::Builder::new(Vec::new());
        let written = match self {
            BuildSource::Embedded => {
                let bytes = crate::dockerfile::DOCKERFILE.as_bytes();
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, "Dockerfile", bytes)
            }
            BuildSource::Dir(dir) => {
                if !dir.join("Dockerfile").is_file() {
                    return Err(Error::BuildContext {
                        path: dir.clone(),
                        message: "it has no Dockerfile".into(),
                    });
                }
                tar.follow_symlinks(true);
                tar.append_dir_all(".", dir)
            }
        };
        written
            .and_then(|()| tar.into_inner())
            .map_err(|e| Error::BuildContext {
                path: match self {
                    BuildSource::Embedded => PathBuf::from("<embedded Dockerfile>"),
                    BuildSource::Dir(d) => d.clone(),
                },
                message: e.to_string(),
            })
    }
}

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

/// Builds `source` and tags it `tag`; returns the image id.
pub async fn build(
    engine: &Engine,
    source: &BuildSource,
    tag: &str,
    sink: Sink<'_>,
) -> Result<String> {
    build_labelled(engine, source, tag, HashMap::new(), sink).await
}

/// [`build`], with `labels` on the image too (the instance's, so cleaning up finds its old
/// versions: see [`crate::disk`]).
pub async fn build_labelled(
    engine: &Engine,
    source: &BuildSource,
    tag: &str,
    mut labels: HashMap<String, String>,
    sink: Sink<'_>,
) -> Result<String> {
    let started = Instant::now();
    let context = source.context_tar()?;
    labels.insert(
        VERSION_LABEL.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(tag.to_string()),
        rm: true,
        forcerm: true,
        labels: Some(labels),
        // The Dockerfile's user gets the person's uid/gid (see `ownership`); a Dockerfile without
        // these arguments only makes the engine say they were not used.
        buildargs: Some(HashMap::from([
            (
                "USER_UID".to_string(),
                crate::ownership::build_user().0.to_string(),
            ),
            (
                "USER_GID".to_string(),
                crate::ownership::build_user().1.to_string(),
            ),
        ])),
        ..Default::default()
    };
    let mut stream =
        engine
            .api()
            .build_image(options, None, Some(bollard::body_full(context.into())));
    let mut parser = BuildOutput::default();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    for line in text.lines() {
                        for event in parser.line(line) {
                            sink(event);
                        }
                    }
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(parser.failure(error));
            }
            Err(e) => {
                return Err(engine.classify(e, |message| parser.failure(message)));
            }
        }
    }
    let id = local_image_id(engine, tag)
        .await?
        .ok_or_else(|| parser.failure("the engine finished without producing the image".into()))?;
    sink(Progress::BuildFinished {
        image: tag.to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
    });
    Ok(id)
}

/// Turns the classic builder's text output into events, remembering the current step and its
/// last lines for the error report.
#[derive(Default)]
struct BuildOutput {
    step: Option<BuildStep>,
    step_lines: Vec<String>,
}

impl BuildOutput {
    fn line(&mut self, line: &str) -> Vec<Progress> {
        let line = line.trim_end();
        if let Some(step) = parse_step_line(line) {
            self.step_lines.clear();
            let event = Progress::BuildStep {
                step: step.step,
                total: step.total,
                instruction: step.instruction.clone(),
            };
            self.step = Some(step);
            return vec![event];
        }
        if line.is_empty() {
            return Vec::new();
        }
        let mut events = Vec::new();
        if line.trim() == "---> Using cache" {
            if let Some(step) = &self.step {
                events.push(Progress::BuildCached { step: step.step });
            }
        }
        let bookkeeping = is_bookkeeping(line);
        // A failure reports the step's own output, not the builder's.
        if !bookkeeping {
            self.step_lines.push(line.to_string());
            if self.step_lines.len() > FAILED_STEP_LINES {
                self.step_lines.remove(0);
            }
        }
        events.push(Progress::BuildLog {
            line: line.to_string(),
            bookkeeping,
        });
        events
    }

    fn failure(&self, message: String) -> Error {
        Error::BuildFailed {
            step: self.step.clone(),
            message: message.trim().to_string(),
            output: self.step_lines.clone(),
        }
    }
}

/// The classic builder's lines about itself rather than the step: `---> Running in <id>`,
/// `---> <image id>`, `---> Using cache`, `Removing intermediate container <id>`, `Successfully
/// built/tagged …`.
fn is_bookkeeping(line: &str) -> bool {
    let line = line.trim();
    line == "--->"
        || line.starts_with("---> ")
        || line.starts_with("Removing intermediate container ")
        || line.starts_with("Successfully built ")
        || line.starts_with("Successfully tagged ")
}

/// `Step 3/7 : RUN make` → step 3 of 7, `RUN make`.
fn parse_step_line(line: &str) -> Option<BuildStep> {
    let rest = line.strip_prefix("Step ")?;
    let (numbers, instruction) = rest.split_once(" : ")?;
    let (step, total) = numbers.split_once('/')?;
    Some(BuildStep {
        step: step.trim().parse().ok()?,
        total: total.trim().parse().ok()?,
        instruction: instruction.trim().to_string(),
    })
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
    fn step_lines_parse() {
        assert_eq!(
            parse_step_line("Step 2/5 : RUN echo hi"),
            Some(BuildStep {
                step: 2,
                total: 5,
                instruction: "RUN echo hi".into()
            })
        );
        assert_eq!(parse_step_line(" ---> Running in abc"), None);
    }

    #[test]
    fn the_builders_bookkeeping_is_marked_and_left_out_of_a_failure() {
        let mut out = BuildOutput::default();
        out.line("Step 2/4 : RUN false");
        let events = out.line(" ---> Running in 8641d083937b");
        assert!(matches!(
            events.as_slice(),
            [Progress::BuildLog {
                bookkeeping: true,
                ..
            }]
        ));
        out.line("make: *** [all] Error 2");
        out.line(" ---> ");
        out.line("Removing intermediate container 8641d083937b");
        match out.failure("returned a non-zero code: 2".into()) {
            Error::BuildFailed { output, .. } => {
                assert_eq!(output, ["make: *** [all] Error 2"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failure_keeps_the_step_and_its_last_lines() {
        let mut out = BuildOutput::default();
        out.line("Step 1/2 : FROM scratch");
        out.line(" ---> Using cache");
        out.line("Step 2/2 : RUN false");
        for i in 0..30 {
            out.line(&format!("line {i}"));
        }
        match out.failure("returned a non-zero code: 1".into()) {
            Error::BuildFailed { step, output, .. } => {
                assert_eq!(step.map(|s| s.step), Some(2));
                assert_eq!(output.len(), FAILED_STEP_LINES);
                assert_eq!(output.last().map(String::as_str), Some("line 29"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cache_hits_are_reported() {
        let mut out = BuildOutput::default();
        out.line("Step 1/1 : FROM scratch");
        let events = out.line(" ---> Using cache");
        assert_eq!(events.first(), Some(&Progress::BuildCached { step: 1 }));
    }

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
