//! Where Podman's Docker-compatible API differs, the one libpod call that makes up for it.
//!
//! Podman runs a container's health check from a systemd timer. Without systemd (containers,
//! WSL, CI machines) the check never runs and the container stays "starting" for ever, so `start`
//! runs the image's own check once through libpod's API when our probe already gets an answer:
//! Podman then records the result (and sends its `health_status` event) as for a timed run.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::client::Engine;
use crate::discovery::socket_path;
use crate::error::{Error, Result};

/// Runs the container's health check once (libpod `GET /libpod/containers/{name}/healthcheck`).
pub(crate) async fn run_healthcheck(engine: &Engine, container: &str) -> Result<()> {
    let request = format!(
        "GET /v4.0.0/libpod/containers/{container}/healthcheck HTTP/1.1\r\nHost: podman\r\n\
         Connection: close\r\n\r\n"
    );
    let endpoint = engine.endpoint();
    let failed = |message: String| Error::Container {
        action: "run the health check of",
        container: container.to_string(),
        message,
    };
    let reply = if let Some(path) = socket_path(endpoint) {
        let stream = tokio::net::UnixStream::connect(&path)
            .await
            .map_err(|e| failed(e.to_string()))?;
        exchange(stream, &request).await
    } else {
        let address = endpoint
            .trim_start_matches("tcp://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| failed(e.to_string()))?;
        exchange(stream, &request).await
    }
    .map_err(|e| failed(e.to_string()))?;
    let status_line = reply.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(failed(format!("Podman answered {status_line}")))
    }
}

async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    request: &str,
) -> std::io::Result<String> {
    stream.write_all(request.as_bytes()).await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// How long a kick waits for the service to answer before giving up (the status then stays
/// "starting", which is what Podman reports).
const KICK_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// When Podman's health check of a started container has not run yet, runs it once the service
/// answers: for starts nobody waits on, such as a restart by the restart policy. One kick per
/// container start; dropping it stops the kick.
#[derive(Default)]
pub(crate) struct HealthKick {
    /// `State.StartedAt` of the start already kicked.
    kicked: Option<String>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl HealthKick {
    pub(crate) fn consider(
        &mut self,
        engine: &Engine,
        settings: &crate::settings::Settings,
        info: Option<&bollard::models::ContainerInspectResponse>,
    ) {
        use bollard::models::HealthStatusEnum;
        let Some(state) = info.and_then(|i| i.state.as_ref()) else {
            return;
        };
        let waiting = engine.is_podman()
            && state.running == Some(true)
            && state.health.as_ref().and_then(|h| h.status) == Some(HealthStatusEnum::STARTING);
        if !waiting || self.kicked == state.started_at {
            return;
        }
        self.kicked = state.started_at.clone();
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let engine = engine.clone();
        let url = format!("{}global/health", settings.url());
        let container = settings.container_name();
        let settings = settings.clone();
        self.task = Some(tokio::spawn(async move {
            let credentials = settings.required_credentials().ok().flatten();
            let deadline = tokio::time::Instant::now() + KICK_LIMIT;
            while tokio::time::Instant::now() < deadline {
                if crate::health::answers(&url, credentials).await {
                    let _ = run_healthcheck(&engine, &container).await;
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }));
    }
}

impl Drop for HealthKick {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
