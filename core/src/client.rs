//! Connecting to the container engine that [`crate::discovery`] finds (Docker, Podman, Colima,
//! …), a bounded ping, API version negotiation, and which engine it is.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};
use serde::Serialize;

use crate::discovery::{self, Candidate, Env, Source};
use crate::error::{Error, Result, TriedEndpoint};

/// Oldest Engine API we rely on (Docker 19.03): health events and `Action`/`Actor` event fields.
pub const MIN_API_VERSION: (usize, usize) = (1, 40);

/// How long a first answer may take. Docker Desktop needs 3–10 s to wake from Resource Saver, so a
/// slow engine is waited for rather than reported as down.
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Per-request limit for the head of a reply; streams (build, pull, events, logs) are not cut by it.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Which engine answered, and where it was found: "Podman 4.3.1 at
/// unix:///run/podman/podman.sock, from context podman".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    /// "Docker" or "Podman".
    pub name: String,
    pub version: String,
    pub endpoint: String,
    /// Where the endpoint came from, in words ("from context podman", "Podman's socket").
    pub source: String,
    /// The negotiated Engine API version.
    pub api_version: String,
    /// The whole sentence, for one-line displays.
    pub summary: String,
}

impl EngineInfo {
    fn new(name: &str, version: &str, endpoint: &str, source: &Source, api: &str) -> EngineInfo {
        let from = match source {
            Source::Given => String::new(),
            other => format!(", {other}"),
        };
        EngineInfo {
            name: name.to_string(),
            version: version.to_string(),
            endpoint: endpoint.to_string(),
            source: source.to_string(),
            api_version: api.to_string(),
            summary: format!("{name} {version} at {endpoint}{from}"),
        }
    }

    pub fn is_podman(&self) -> bool {
        self.name == "Podman"
    }
}

/// A connection to one engine, with the endpoint kept for error messages.
#[derive(Clone, Debug)]
pub struct Engine {
    docker: Docker,
    endpoint: String,
    info: Option<EngineInfo>,
}

/// Where the engine is expected without asking it: the first candidate discovery finds (with
/// `engine` = auto) whose socket exists, else the first one.
pub fn endpoint_from_env() -> String {
    let candidates = discovery::resolve(discovery::AUTO, &Env::current()).unwrap_or_default();
    candidates
        .iter()
        .find(|c| c.socket_path().is_none_or(|p| p.exists()))
        .or(candidates.first())
        .map(|c| c.endpoint.clone())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

impl Engine {
    /// Finds the engine the way the docker CLI does (no `engine` setting) and checks it answers.
    pub async fn connect() -> Result<Engine> {
        Engine::discover(discovery::AUTO).await
    }

    /// Finds the engine for the `engine` setting (`auto`, an endpoint or a context name).
    pub async fn discover(setting: &str) -> Result<Engine> {
        Engine::discover_in(setting, &Env::current(), PING_TIMEOUT).await
    }

    /// Tries discovery's candidates in order; the first that answers wins. One candidate's
    /// failure is its own error; several failures list what was tried.
    pub async fn discover_in(setting: &str, env: &Env, ping_timeout: Duration) -> Result<Engine> {
        let candidates = discovery::resolve(setting, env)?;
        if let [only] = candidates.as_slice() {
            // The one place the user chose: its own error, saying where the choice came from.
            return Engine::connect_candidate(only, ping_timeout)
                .await
                .map_err(|e| match e {
                    Error::DaemonNotRunning { endpoint } => Error::DaemonNotRunning {
                        endpoint: format!("{endpoint} ({})", only.source),
                    },
                    other => other,
                });
        }
        let mut tried = Vec::new();
        let mut failures = Vec::new();
        for candidate in &candidates {
            let reason = match candidate.socket_path() {
                Some(path) if !path.exists() => "no socket there".to_string(),
                _ => match Engine::connect_candidate(candidate, ping_timeout).await {
                    Ok(engine) => return Ok(engine),
                    Err(e) => {
                        let reason = short_reason(&e);
                        failures.push(e);
                        reason
                    }
                },
            };
            tried.push(TriedEndpoint {
                endpoint: candidate.endpoint.clone(),
                source: candidate.source.to_string(),
                reason,
            });
        }
        // One engine is there but refuses us (permissions, say): its own advice is the best.
        // Nothing listening is said by the list of what was tried.
        if let [only] = failures.as_slice() {
            if !matches!(only, Error::DaemonNotRunning { .. }) {
                if let Some(only) = failures.pop() {
                    return Err(only);
                }
            }
        }
        Err(Error::NoEngine { tried })
    }

    /// Connects to one candidate and learns which engine it is.
    pub async fn connect_candidate(
        candidate: &Candidate,
        ping_timeout: Duration,
    ) -> Result<Engine> {
        if let Some(tls) = &candidate.tls {
            return Err(Error::TlsUnsupported {
                endpoint: candidate.endpoint.clone(),
                origin: candidate.source.to_string(),
                tls: tls.clone(),
            });
        }
        let mut engine = Engine::connect_to(&candidate.endpoint, ping_timeout).await?;
        if let Some(info) = &mut engine.info {
            *info = EngineInfo::new(
                &info.name,
                &info.version,
                &info.endpoint,
                &candidate.source,
                &info.api_version,
            );
        }
        Ok(engine)
    }

    /// Connects to `endpoint` (`unix:///path`, `tcp://host:port` or `http://host:port`), pings it
    /// within `ping_timeout` and settles on an API version both sides speak.
    pub async fn connect_to(endpoint: &str, ping_timeout: Duration) -> Result<Engine> {
        let engine = Engine::lazy(endpoint)?;
        let timeout = || Error::Timeout {
            endpoint: endpoint.to_string(),
            seconds: ping_timeout.as_secs(),
        };
        let negotiated =
            tokio::time::timeout(ping_timeout, engine.docker.clone().negotiate_version())
                .await
                .map_err(|_| timeout())?
                .map_err(|e| engine.classify(e, Error::Docker))?;
        let version = negotiated.client_version();
        if (version.major_version, version.minor_version) < MIN_API_VERSION {
            return Err(Error::ApiTooOld {
                found: version.to_string(),
                required: format!("{}.{}", MIN_API_VERSION.0, MIN_API_VERSION.1),
            });
        }
        let (name, product_version) = tokio::time::timeout(ping_timeout, identify(&negotiated))
            .await
            .map_err(|_| timeout())?
            .map_err(|e| engine.classify(e, Error::Docker))?;
        let info = EngineInfo::new(
            &name,
            &product_version,
            endpoint,
            &Source::Given,
            &version.to_string(),
        );
        Ok(Engine {
            docker: negotiated,
            endpoint: engine.endpoint,
            info: Some(info),
        })
    }

    /// A client for `endpoint` that has not talked to the engine yet.
    fn lazy(endpoint: &str) -> Result<Engine> {
        let unsupported = |reason: &str| Error::EndpointUnsupported {
            endpoint: endpoint.to_string(),
            reason: reason.to_string(),
        };
        let connected = if endpoint.starts_with("unix://") {
            Docker::connect_with_unix(endpoint, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
            Docker::connect_with_http(endpoint, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if endpoint.starts_with("npipe://") {
            named_pipe(endpoint).ok_or_else(|| unsupported("named pipes exist only on Windows"))?
        } else if endpoint.starts_with("ssh://") {
            return Err(unsupported(
                "SSH endpoints are not supported; forward the remote socket (`ssh -L`) and use it",
            ));
        } else {
            return Err(unsupported("the scheme is not one we know"));
        };
        let docker = connected.map_err(|e| match e {
            bollard::errors::Error::SocketNotFoundError(_) => Error::DaemonNotRunning {
                endpoint: endpoint.to_string(),
            },
            other => Error::Docker(other.to_string()),
        })?;
        Ok(Engine {
            docker,
            endpoint: endpoint.to_string(),
            info: None,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Which engine this is and where it was found.
    pub fn info(&self) -> Option<&EngineInfo> {
        self.info.as_ref()
    }

    /// Whether the engine is Podman (its Docker-compatible API differs in places).
    pub fn is_podman(&self) -> bool {
        self.info.as_ref().is_some_and(EngineInfo::is_podman)
    }

    /// The negotiated Engine API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    pub(crate) fn api(&self) -> &Docker {
        &self.docker
    }

    /// Turns a bollard error into ours: failures to reach the engine become connection errors;
    /// anything the engine itself answered goes through `refused`, with Docker's own message.
    pub(crate) fn classify(
        &self,
        err: bollard::errors::Error,
        refused: impl FnOnce(String) -> Error,
    ) -> Error {
        use bollard::errors::Error as B;
        match &err {
            B::DockerResponseServerError { .. } => refused(crate::error::engine_message(&err)),
            B::RequestTimeoutError => Error::Timeout {
                endpoint: self.endpoint.clone(),
                seconds: REQUEST_TIMEOUT_SECS,
            },
            B::SocketNotFoundError(_)
            | B::IOError { .. }
            | B::HyperResponseError { .. }
            | B::HyperLegacyError { .. } => {
                if io_kind(&err) == Some(std::io::ErrorKind::PermissionDenied) {
                    Error::PermissionDenied {
                        endpoint: self.endpoint.clone(),
                    }
                } else {
                    Error::DaemonNotRunning {
                        endpoint: self.endpoint.clone(),
                    }
                }
            }
            _ => refused(err.to_string()),
        }
    }
}

/// The engine's product and version from `/version`: Podman names a component "Podman Engine".
async fn identify(
    docker: &Docker,
) -> std::result::Result<(String, String), bollard::errors::Error> {
    let v = docker.version().await?;
    let components = v.components.unwrap_or_default();
    if let Some(podman) = components.iter().find(|c| c.name.contains("Podman")) {
        return Ok(("Podman".to_string(), podman.version.clone()));
    }
    Ok(("Docker".to_string(), v.version.unwrap_or_default()))
}

#[cfg(windows)]
fn named_pipe(endpoint: &str) -> Option<std::result::Result<Docker, bollard::errors::Error>> {
    Some(Docker::connect_with_named_pipe(
        endpoint,
        REQUEST_TIMEOUT_SECS,
        API_DEFAULT_VERSION,
    ))
}

#[cfg(not(windows))]
fn named_pipe(_endpoint: &str) -> Option<std::result::Result<Docker, bollard::errors::Error>> {
    None
}

/// Why one discovery candidate was passed over, in a few words.
pub(crate) fn short_reason(err: &Error) -> String {
    match err {
        Error::DaemonNotRunning { .. } => "nothing answers".to_string(),
        Error::PermissionDenied { .. } => "permission denied on the socket".to_string(),
        Error::Timeout { seconds, .. } => format!("no answer within {seconds} s"),
        other => other.to_string(),
    }
}

/// The kind of the first `io::Error` in an error's source chain.
fn io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        current = e.source();
    }
    None
}
