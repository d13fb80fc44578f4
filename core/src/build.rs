//! Building the image from the embedded Dockerfile (or a folder) with the engine's classic
//! builder, turning its output into [`Progress`], and the build arguments that parameterise it.
//!
//! Cancelable by dropping the future: the engine stops a build whose client went away, and the
//! classic builder tags only on success, so a cut build leaves no tag behind.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bollard::query_parameters::BuildImageOptions;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::client::Engine;
use crate::error::{BuildStep, Error, Result};
use crate::image::{local_image_id, VERSION_LABEL};
use crate::progress::{Progress, Sink};

/// Label on images this crate builds: a fingerprint of the build arguments they were built with,
/// so that changing the setting `build_args` rebuilds the image.
pub const BUILD_ARGS_LABEL: &str = "dev.opencode-cloud.build-args";

/// The build arguments the app sets itself (the person's uid/gid), which `build_args` may not.
const USER_UID_ARG: &str = "USER_UID";
const USER_GID_ARG: &str = "USER_GID";

/// How many output lines a failed build step reports.
const FAILED_STEP_LINES: usize = 20;

/// Build arguments (`docker build --build-arg NAME=value`), by name.
pub type BuildArgs = BTreeMap<String, String>;

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

/// The `ARG` names a Dockerfile declares, in order, without duplicates. An `ARG` may declare
/// several (`ARG A=1 B=2`) and continue over lines; values here never hold spaces.
pub fn declared_args(dockerfile: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut in_arg = false;
    for line in dockerfile.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        let mut words = body.split_whitespace().peekable();
        if !in_arg {
            in_arg = words.next_if(|w| w.eq_ignore_ascii_case("ARG")).is_some();
        }
        if in_arg {
            for word in words {
                let name = word.split('=').next().unwrap_or_default();
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        in_arg = in_arg && continues;
    }
    names
}

/// Checks the setting `build_args`: every name is a well-formed build argument and, when the
/// embedded Dockerfile is built (`embedded`), one it declares. Returns the reason otherwise.
pub fn validate_args(args: &BuildArgs, embedded: bool) -> std::result::Result<(), String> {
    for name in args.keys() {
        let mut bytes = name.bytes();
        let well_formed = bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(format!(
                "has the name {name:?}, which is not a build argument name (letters, digits and \
                 _, not starting with a digit)"
            ));
        }
        if name == USER_UID_ARG || name == USER_GID_ARG {
            return Err(format!(
                "has {name:?}, which the app sets itself to your own uid/gid (so files the agent \
                 writes in mounted folders are yours)"
            ));
        }
        if embedded {
            let declared = declared_args(crate::dockerfile::DOCKERFILE);
            if !declared.iter().any(|d| d == name) {
                return Err(format!(
                    "has {name:?}, which the embedded Dockerfile does not use; it takes {}",
                    declared.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// `args` plus the Dockerfile user's uid/gid: the person's (see [`crate::ownership`]). A
/// Dockerfile without these arguments only makes the engine say they were not used.
fn build_args_with_user(args: &BuildArgs) -> HashMap<String, String> {
    let (uid, gid) = crate::ownership::build_user();
    let mut all: HashMap<String, String> = args.clone().into_iter().collect();
    all.insert(USER_UID_ARG.to_string(), uid.to_string());
    all.insert(USER_GID_ARG.to_string(), gid.to_string());
    all
}

/// The fingerprint of `args` that [`BUILD_ARGS_LABEL`] holds (no values in the clear: a mirror
/// URL may carry a password).
pub fn args_fingerprint(args: &BuildArgs) -> String {
    let text = serde_json::to_string(args).unwrap_or_default();
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an image with these labels was built with `args`. An image without the label (pulled,
/// or built by an older version) counts as built without build arguments.
pub fn built_with(labels: Option<&HashMap<String, String>>, args: &BuildArgs) -> bool {
    let wanted = args_fingerprint(args);
    match labels.and_then(|l| l.get(BUILD_ARGS_LABEL)) {
        Some(label) => *label == wanted,
        None => args.is_empty(),
    }
}

/// Builds `source` without build arguments and tags it `tag`; returns the image id.
pub async fn build(
    engine: &Engine,
    source: &BuildSource,
    tag: &str,
    sink: Sink<'_>,
) -> Result<String> {
    build_labelled(engine, source, tag, HashMap::new(), &BuildArgs::new(), sink).await
}

/// [`build`], with `labels` on the image too (the instance's, so cleaning up finds its old
/// versions: see [`crate::disk`]) and the build arguments `args` (the setting `build_args`).
///
/// The build uses the host's network (`docker build --network host`), so a mirror or release
/// server on this machine's loopback address is reachable from the build's steps.
pub async fn build_labelled(
    engine: &Engine,
    source: &BuildSource,
    tag: &str,
    mut labels: HashMap<String, String>,
    args: &BuildArgs,
    sink: Sink<'_>,
) -> Result<String> {
    let started = Instant::now();
    let context = source.context_tar()?;
    labels.insert(
        VERSION_LABEL.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    labels.insert(BUILD_ARGS_LABEL.to_string(), args_fingerprint(args));
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(tag.to_string()),
        rm: true,
        forcerm: true,
        labels: Some(labels),
        buildargs: Some(build_args_with_user(args)),
        networkmode: Some("host".into()),
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
        // Docker says `---> Using cache`, Podman `--> Using cache <id>`.
        let trimmed = line.trim();
        if trimmed == "---> Using cache" || trimmed.starts_with("--> Using cache") {
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
        || line == "-->"
        || line.starts_with("--> ")
        || line.starts_with("Removing intermediate container ")
        || line.starts_with("Successfully built ")
        || line.starts_with("Successfully tagged ")
}

/// `Step 3/7 : RUN make` (Docker's classic builder) or `STEP 3/7: RUN make` (Podman's buildah)
/// → step 3 of 7, `RUN make`.
fn parse_step_line(line: &str) -> Option<BuildStep> {
    // Podman prefixes the stage of a multi-stage build: `[1/2] STEP 1/10: FROM …`.
    let line = match line.strip_prefix('[') {
        Some(rest) => rest.split_once("] ")?.1,
        None => line,
    };
    let (numbers, instruction) = match line.strip_prefix("Step ") {
        Some(rest) => rest.split_once(" : ")?,
        None => line.strip_prefix("STEP ")?.split_once(": ")?,
    };
    let (step, total) = numbers.split_once('/')?;
    Some(BuildStep {
        step: step.trim().parse().ok()?,
        total: total.trim().parse().ok()?,
        instruction: instruction.trim().to_string(),
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
        // Podman (buildah) words it differently.
        assert_eq!(
            parse_step_line("STEP 4/5: RUN echo hi && false"),
            Some(BuildStep {
                step: 4,
                total: 5,
                instruction: "RUN echo hi && false".into()
            })
        );
        assert_eq!(
            parse_step_line("[1/2] STEP 1/10: FROM ubuntu:24.04 AS downloader").map(|s| s.step),
            Some(1)
        );
        let mut out = BuildOutput::default();
        out.line("STEP 2/5: COPY busybox /bin/busybox");
        let cached = out.line("--> Using cache 4c45b179b9dd43e8a6c4");
        assert!(
            cached.contains(&Progress::BuildCached { step: 2 }),
            "{cached:?}"
        );
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
    fn the_embedded_dockerfile_declares_its_build_args() {
        let declared = declared_args(crate::dockerfile::DOCKERFILE);
        for name in [
            "BASE_IMAGE",
            "OPENCODE_RELEASE_URL",
            "OPENCODE_SHA256_AMD64",
        ] {
            assert!(declared.iter().any(|d| d == name), "{declared:?}");
        }
        let text = "ARG A=1 \\\n    B=2\n# ARG C\nFROM x\nRUN echo ARG D \\\n    E\narg F\nARG A\n";
        assert_eq!(declared_args(text), ["A", "B", "F"]);
    }

    #[test]
    fn build_args_are_checked_by_name() {
        let args = |k: &str| BuildArgs::from([(k.to_string(), "x".to_string())]);
        assert_eq!(validate_args(&args("BASE_IMAGE"), true), Ok(()));
        let err = validate_args(&args("BASE_IMAGES"), true).unwrap_err();
        assert!(
            err.contains("\"BASE_IMAGES\"") && err.contains("BASE_IMAGE,"),
            "{err}"
        );
        assert_eq!(validate_args(&args("MY_ARG"), false), Ok(()));
        assert!(validate_args(&args("1X"), false).is_err());
        assert!(validate_args(&args("A B"), false).is_err());
        assert!(validate_args(&args(""), false).is_err());
        let err = validate_args(&args("USER_UID"), false).unwrap_err();
        assert!(err.contains("your own uid"), "{err}");
    }

    #[test]
    fn an_unlabelled_image_counts_as_built_without_args() {
        let none = BuildArgs::new();
        let some = BuildArgs::from([("BASE_IMAGE".to_string(), "debian:12".to_string())]);
        assert!(built_with(None, &none));
        assert!(!built_with(None, &some));
        let labels = HashMap::from([(BUILD_ARGS_LABEL.to_string(), args_fingerprint(&some))]);
        assert!(built_with(Some(&labels), &some));
        assert!(!built_with(Some(&labels), &none));
    }
}
