//! The core's error type. Each variant renders to one sentence that says what happened and what
//! to do about it; this `Display` is the single place where errors become user-facing text.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(
        "Docker is not running: nothing answers at {endpoint}. Start Docker Desktop, the Docker \
         service (`sudo systemctl start docker`) or Podman, or point opencode-cloud at a running \
         engine with {SET_ENGINE}."
    )]
    DaemonNotRunning { endpoint: String },

    #[error("{}", no_engine_text(tried))]
    NoEngine { tried: Vec<TriedEndpoint> },

    #[error(
        "The docker context {name} ({origin}) cannot be used: {reason} ({}). Run `docker context ls` \
         to see the contexts, or choose an engine with {SET_ENGINE}.", path.display()
    )]
    DockerContext {
        name: String,
        origin: String,
        path: PathBuf,
        reason: String,
    },

    #[error(
        "The docker CLI's settings file {} cannot be read: {reason}. Fix it, or choose an engine \
         with {SET_ENGINE}.", path.display()
    )]
    DockerConfig { path: PathBuf, reason: String },

    #[error(
        "The engine at {endpoint} ({origin}) needs TLS client certificates ({}), which \
         opencode-cloud cannot use yet. Use an endpoint without TLS, such as a local socket, with \
         {SET_ENGINE}.", tls.display()
    )]
    TlsUnsupported {
        endpoint: String,
        origin: String,
        tls: PathBuf,
    },

    #[error(
        "The engine endpoint {endpoint} is not supported: {reason}. Use unix:///path/to/docker.sock \
         or tcp://host:port, with {SET_ENGINE}."
    )]
    EndpointUnsupported { endpoint: String, reason: String },

    #[error(
        "Permission denied on the Docker socket {endpoint}. Add your user to the docker group \
         (`sudo usermod -aG docker $USER`, then log out and back in), or use rootless Docker and \
         set DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock."
    )]
    PermissionDenied { endpoint: String },

    #[error(
        "Docker at {endpoint} did not answer within {seconds} s. If Docker Desktop is waking up, \
         try again in a moment; otherwise restart Docker."
    )]
    Timeout { endpoint: String, seconds: u64 },

    #[error(
        "Docker Engine API {found} is too old: version {required} or newer is needed. Update Docker."
    )]
    ApiTooOld { found: String, required: String },

    #[error(
        "Port {port} on {address} is already in use by another program. Stop that program or \
         choose another port{}.",
        suggestion.map(|p| format!(" (for example `occ config set port {p}`)")).unwrap_or_default()
    )]
    PortInUse {
        address: String,
        port: u16,
        suggestion: Option<u16>,
    },

    #[error("The image {image} is not on this machine. Run `occ pull` or `occ build` first.")]
    ImageMissing { image: String },

    #[error(
        "The updated image did not come up, so opencode runs on the previous image again (your \
         volumes are as they were). What went wrong: {reason}"
    )]
    UpdateRolledBack { reason: String },

    #[error(
        "There is no previous image of {image} to go back to: one is kept only after an update."
    )]
    NoPreviousImage { image: String },

    #[error("Docker could not {action} image {image}: {message}")]
    Image {
        action: &'static str,
        image: String,
        message: String,
    },

    #[error("{}", pull_failed_text(attempts))]
    PullFailed { attempts: Vec<SourceFailure> },

    #[error("{}", build_failed_text(step.as_ref(), message, output))]
    BuildFailed {
        step: Option<BuildStep>,
        message: String,
        output: Vec<String>,
    },

    #[error("Could not read the build context {path}: {message}")]
    BuildContext { path: PathBuf, message: String },

    #[error("Docker could not {action} container {container}: {message}")]
    Container {
        action: &'static str,
        container: String,
        message: String,
    },

    #[error(
        "{volume} is not a volume of instance {instance}, so it was left alone; this instance's \
         volumes are {ours}."
    )]
    NotOurVolume {
        volume: String,
        instance: String,
        ours: String,
    },

    #[error("Docker could not {action} volume {volume}: {message}")]
    Volume {
        action: &'static str,
        volume: String,
        message: String,
    },

    #[error(
        "The service did not become healthy at {url} within {seconds} s. See `occ logs` for what \
         it printed."
    )]
    HealthTimeout { url: String, seconds: u64 },

    #[error("The container exited while starting (exit code {exit_code}). See `occ logs`.")]
    ExitedWhileStarting { exit_code: i64 },

    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),

    #[error("Docker reported an error: {0}")]
    Docker(String),
}

/// How a user points us at an engine, as the error messages say it.
const SET_ENGINE: &str =
    "`occ config set engine unix:///path/to/docker.sock` (or a docker context name)";

/// One endpoint that discovery tried, and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TriedEndpoint {
    pub endpoint: String,
    /// Where it came from, in words: "Podman's socket", "from context podman".
    pub source: String,
    pub reason: String,
}

fn no_engine_text(tried: &[TriedEndpoint]) -> String {
    let list: Vec<String> = tried
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {} ({}): {}", i + 1, t.endpoint, t.source, t.reason))
        .collect();
    format!(
        "No container engine answers. Tried, in order:\n{}\nStart Docker Desktop, Docker, \
         Podman, Colima, OrbStack or Rancher Desktop, or point opencode-cloud at a running engine \
         with {SET_ENGINE}.",
        list.join("\n")
    )
}

/// A step of a `docker build`, as the engine numbers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildStep {
    pub step: u32,
    pub total: u32,
    pub instruction: String,
}

/// Why one image source could not be pulled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceFailure {
    pub source: String,
    pub reason: String,
}

fn pull_failed_text(attempts: &[SourceFailure]) -> String {
    if attempts.is_empty() {
        return "No image sources are configured: add one to `image_sources`, or build the image \
                locally with `occ build`."
            .to_string();
    }
    let tried: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.source, a.reason))
        .collect();
    format!(
        "Could not pull the image from any source: {}. Check your network, or build the image \
         locally with `occ build`.",
        tried.join("; ")
    )
}

fn build_failed_text(step: Option<&BuildStep>, message: &str, output: &[String]) -> String {
    let at = step
        .map(|s| format!(" at step {}/{} `{}`", s.step, s.total, s.instruction))
        .unwrap_or_default();
    let mut text = format!("The image build failed{at}: {message}");
    if !output.is_empty() {
        text.push_str("\nLast output:\n");
        text.push_str(&output.join("\n"));
    }
    text
}

impl Error {
    /// A stable machine-readable name for the variant, for JSON consumers.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::DaemonNotRunning { .. } => "daemon_not_running",
            Error::NoEngine { .. } => "no_engine",
            Error::DockerContext { .. } => "docker_context",
            Error::DockerConfig { .. } => "docker_config",
            Error::TlsUnsupported { .. } => "tls_unsupported",
            Error::EndpointUnsupported { .. } => "endpoint_unsupported",
            Error::PermissionDenied { .. } => "permission_denied",
            Error::Timeout { .. } => "timeout",
            Error::ApiTooOld { .. } => "api_too_old",
            Error::PortInUse { .. } => "port_in_use",
            Error::ImageMissing { .. } => "image_missing",
            Error::UpdateRolledBack { .. } => "update_rolled_back",
            Error::NoPreviousImage { .. } => "no_previous_image",
            Error::Image { .. } => "image",
            Error::PullFailed { .. } => "pull_failed",
            Error::BuildFailed { .. } => "build_failed",
            Error::BuildContext { .. } => "build_context",
            Error::Container { .. } => "container",
            Error::NotOurVolume { .. } => "not_our_volume",
            Error::Volume { .. } => "volume",
            Error::HealthTimeout { .. } => "health_timeout",
            Error::ExitedWhileStarting { .. } => "exited_while_starting",
            Error::Settings(_) => "settings",
            Error::Docker(_) => "docker",
        }
    }

    /// True when a start failed because of what the image does (it exits, or never answers its
    /// health check), which another image may not: an update goes back on these.
    pub fn is_bad_image(&self) -> bool {
        matches!(
            self,
            Error::ExitedWhileStarting { .. } | Error::HealthTimeout { .. }
        )
    }

    /// True when the engine itself could not be reached (as opposed to refusing a request).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Error::DaemonNotRunning { .. }
                | Error::NoEngine { .. }
                | Error::PermissionDenied { .. }
                | Error::Timeout { .. }
        )
    }
}

/// The HTTP status of an engine reply, when the error is one.
pub(crate) fn status_code(err: &bollard::errors::Error) -> Option<u16> {
    match err {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's own message for a refused request, or the transport error's text.
pub(crate) fn engine_message(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
