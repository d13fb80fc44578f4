//! Connecting to the Docker engine: `DOCKER_HOST` (unix:// or tcp://) or the local default socket,
//! a bounded ping, and API version negotiation.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::error::{Error, Result};

/// Oldest Engine API we rely on (Docker 19.03): health events and `Action`/`Actor` event fields.
pub const MIN_API_VERSION: (usize, usize) = (1, 40);

/// How long a first answer may take. Docker Desktop needs 3–10 s to wake from Resource Saver, so a
/// slow engine is waited for rather than reported as down.
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Per-request limit for the head of a reply; streams (build, pull, events, logs) are not cut by it.
const REQUEST_TIMEOUT_SECS: u64 = 120;

const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

/// A connection to one Docker engine, with the endpoint kept for error messages.
#[derive(Clone, Debug)]
pub struct Engine {
    docker: Docker,
    endpoint: String,
}

/// Where the engine is expected: `DOCKER_HOST`, else the local default socket.
pub fn endpoint_from_env() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
}

impl Engine {
    /// Connects to the engine named by the environment and checks that it answers.
    pub async fn connect() -> Result<Engine> {
        Engine::connect_to(&endpoint_from_env(), PING_TIMEOUT).await
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
        Ok(Engine {
            docker: negotiated,
            endpoint: engine.endpoint,
        })
    }

    /// A client for `endpoint` that has not talked to the engine yet.
    fn lazy(endpoint: &str) -> Result<Engine> {
        let connected = if endpoint.starts_with("unix://") {
            Docker::connect_with_unix(endpoint, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
            Docker::connect_with_http(endpoint, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else {
            return Err(Error::Docker(format!(
                "DOCKER_HOST={endpoint} is not supported: use unix:///path/to/docker.sock or \
                 tcp://host:port"
            )));
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
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
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
