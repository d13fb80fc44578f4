//! The container's lifecycle. `start` is idempotent and complete: image, volumes, container
//! (recreated when its image or settings changed, volumes kept), start, and a bounded wait until
//! the service answers. Stopping a stopped container or starting a running one is not an error.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountTypeEnum, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, StopContainerOptions,
};
use sha2::{Digest, Sha256};

use crate::client::Engine;
use crate::error::{status_code, Error, Result};
use crate::image::{self, BuildSource};
use crate::progress::{Progress, Sink};
use crate::settings::{ImageMode, Settings};
use crate::status::{self, State};
use crate::volume::{self, INSTANCE_LABEL};

/// The port opencode listens on inside the container.
pub const CONTAINER_PORT: u16 = 3000;
pub const IMAGE_ID_LABEL: &str = "dev.opencode-cloud.image-id";
pub const CONFIG_HASH_LABEL: &str = "dev.opencode-cloud.config-hash";
/// How long `docker stop` waits for a graceful exit before it kills.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `start` waits for `/global/health` to answer.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(120);

/// What `start` did, for callers that tell the user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StartReport {
    /// Volumes that did not exist and were created empty.
    pub created_volumes: Vec<String>,
    /// The container was (re)created rather than reused.
    pub created_container: bool,
}

/// Pulls or builds the image per `settings.image_mode`; returns its id.
pub async fn refresh_image(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<String> {
    match settings.image_mode {
        ImageMode::Pull => {
            image::pull(engine, &settings.image_sources, &settings.image, sink).await?;
            image::local_image_id(engine, &settings.image)
                .await?
                .ok_or_else(|| Error::ImageMissing {
                    image: settings.image.clone(),
                })
        }
        ImageMode::Build => {
            let source = BuildSource::from_setting(settings.build_context.as_deref());
            image::build(engine, &source, &settings.image, sink).await
        }
    }
}

/// Brings the instance up and waits until it answers.
pub async fn start(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<StartReport> {
    let mut report = StartReport::default();
    let image_id = match image::local_image_id(engine, &settings.image).await? {
        Some(id) => id,
        None => refresh_image(engine, settings, sink).await?,
    };
    sink(Progress::Stage {
        message: "Preparing volumes".into(),
    });
    report.created_volumes = volume::ensure(engine, settings).await?;

    let wanted_hash = config_hash(settings, &image_id);
    let name = settings.container_name();
    let existing = status::inspect(engine, settings).await?;
    let running = existing
        .as_ref()
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.running)
        .unwrap_or(false);
    let current_hash = existing
        .as_ref()
        .and_then(|c| c.config.as_ref())
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(CONFIG_HASH_LABEL).cloned());

    let needs_create = match &existing {
        None => true,
        Some(_) if current_hash.as_deref() != Some(wanted_hash.as_str()) => {
            sink(Progress::Stage {
                message:
                    "Recreating the container for the new image or settings (volumes are kept)"
                        .into(),
            });
            remove(engine, settings).await?;
            true
        }
        Some(_) if running => {
            wait_healthy(engine, settings, HEALTH_TIMEOUT, sink).await?;
            return Ok(report);
        }
        Some(_) => false,
    };
    ensure_port_free(settings.bind_address, settings.port)?;
    if needs_create {
        sink(Progress::Stage {
            message: "Creating the container".into(),
        });
        create(engine, settings, &image_id, &wanted_hash).await?;
        report.created_container = true;
    }

    sink(Progress::Stage {
        message: "Starting the container".into(),
    });
    if let Err(e) = engine
        .api()
        .start_container(
            &name,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
    {
        let message = crate::error::engine_message(&e);
        let err = if is_port_conflict(&message) {
            Error::PortInUse {
                address: settings.bind_address.to_string(),
                port: settings.port,
                suggestion: free_port_near(settings.bind_address, settings.port),
            }
        } else {
            container_error(engine, e, "start", &name)
        };
        // Leave nothing half-made: a container that could not start is removed (volumes stay).
        if report.created_container {
            let _ = remove(engine, settings).await;
        }
        return Err(err);
    }
    wait_healthy(engine, settings, HEALTH_TIMEOUT, sink).await?;
    Ok(report)
}

/// Stops the container gracefully (SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]).
pub async fn stop(engine: &Engine, settings: &Settings) -> Result<()> {
    let name = settings.container_name();
    let options = StopContainerOptions {
        t: Some(STOP_TIMEOUT.as_secs() as i32),
        ..Default::default()
    };
    match engine.api().stop_container(&name, Some(options)).await {
        Ok(()) => Ok(()),
        // Not there is as stopped as it gets.
        Err(e) if status_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(container_error(engine, e, "stop", &name)),
    }
}

pub async fn restart(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<StartReport> {
    stop(engine, settings).await?;
    start(engine, settings, sink).await
}

/// Removes the container (stopping it first). Volumes are never touched here.
pub async fn remove(engine: &Engine, settings: &Settings) -> Result<()> {
    let name = settings.container_name();
    stop(engine, settings).await?;
    let options = RemoveContainerOptions {
        force: true,
        v: false,
        ..Default::default()
    };
    match engine.api().remove_container(&name, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if status_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(container_error(engine, e, "remove", &name)),
    }
}

/// Gets a fresh image, then brings the container onto it if it was running (volumes kept).
pub async fn update(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<()> {
    let was_active = status::current(engine, settings).await?.is_active();
    refresh_image(engine, settings, sink).await?;
    if was_active {
        start(engine, settings, sink).await?;
    }
    Ok(())
}

async fn create(engine: &Engine, settings: &Settings, image_id: &str, hash: &str) -> Result<()> {
    let name = settings.container_name();
    let port_key = format!("{CONTAINER_PORT}/tcp");
    let mounts = settings
        .volumes()
        .into_iter()
        .map(|(volume, target)| Mount {
            source: Some(volume),
            target: Some(target.to_string()),
            typ: Some(MountTypeEnum::VOLUME),
            ..Default::default()
        })
        .collect();
    let body = ContainerCreateBody {
        image: Some(settings.image.clone()),
        env: Some(settings.env.clone()),
        exposed_ports: Some(HashMap::from([(port_key.clone(), HashMap::new())])),
        labels: Some(HashMap::from([
            (INSTANCE_LABEL.to_string(), settings.instance.clone()),
            (IMAGE_ID_LABEL.to_string(), image_id.to_string()),
            (CONFIG_HASH_LABEL.to_string(), hash.to_string()),
            (
                image::VERSION_LABEL.to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ])),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                port_key,
                Some(vec![PortBinding {
                    host_ip: Some(settings.bind_address.to_string()),
                    host_port: Some(settings.port.to_string()),
                }]),
            )])),
            mounts: Some(mounts),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(name.clone()),
        ..Default::default()
    };
    match engine.api().create_container(Some(options), body).await {
        Ok(_) => Ok(()),
        // Someone else (another `occ start`, the app) created it a moment ago: use theirs.
        Err(e) if status_code(&e) == Some(409) => Ok(()),
        Err(e) => Err(container_error(engine, e, "create", &name)),
    }
}

/// A fingerprint of everything the container was created with; a change means recreate.
fn config_hash(settings: &Settings, image_id: &str) -> String {
    let fingerprint = serde_json::json!({
        "image_id": image_id,
        "port": settings.port,
        "bind_address": settings.bind_address,
        "env": settings.env,
        "volumes": settings.volumes(),
        "restart": "unless-stopped",
    });
    let digest = Sha256::digest(fingerprint.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fails with [`Error::PortInUse`] when something on this machine already listens there.
fn ensure_port_free(address: IpAddr, port: u16) -> Result<()> {
    match TcpListener::bind(SocketAddr::new(address, port)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(Error::PortInUse {
            address: address.to_string(),
            port,
            suggestion: free_port_near(address, port),
        }),
        // Other bind errors (e.g. a privileged port for a non-root user) are Docker's to judge.
        Err(_) => Ok(()),
    }
}

fn free_port_near(address: IpAddr, port: u16) -> Option<u16> {
    (1..=50)
        .filter_map(|offset| port.checked_add(offset))
        .find(|p| TcpListener::bind(SocketAddr::new(address, *p)).is_ok())
}

fn is_port_conflict(message: &str) -> bool {
    message.contains("port is already allocated") || message.contains("address already in use")
}

/// Waits until `/global/health` answers, failing early if the container exits.
pub async fn wait_healthy(
    engine: &Engine,
    settings: &Settings,
    timeout: Duration,
    sink: Sink<'_>,
) -> Result<()> {
    let url = format!("{}global/health", settings.url());
    let started = Instant::now();
    let mut last_report = None;
    loop {
        if crate::health::answers(&url).await {
            return Ok(());
        }
        let current = status::current(engine, settings).await?;
        match current.state {
            State::Exited | State::Stopped | State::NotCreated => {
                return Err(Error::ExitedWhileStarting {
                    exit_code: current.exit_code.unwrap_or(0),
                })
            }
            _ => {}
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(Error::HealthTimeout {
                url,
                seconds: timeout.as_secs(),
            });
        }
        if last_report != Some(elapsed.as_secs()) {
            last_report = Some(elapsed.as_secs());
            sink(Progress::WaitingForHealth {
                url: url.clone(),
                elapsed_secs: elapsed.as_secs(),
                timeout_secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn container_error(
    engine: &Engine,
    e: bollard::errors::Error,
    action: &'static str,
    name: &str,
) -> Error {
    engine.classify(e, |message| Error::Container {
        action,
        container: name.to_string(),
        message,
    })
}
