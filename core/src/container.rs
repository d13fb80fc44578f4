//! The container's lifecycle. `start` is idempotent and complete: image, volumes, container
//! (recreated when its image or settings changed, volumes kept), start, and a bounded wait until
//! the service answers. Stopping a stopped container or starting a running one is not an error.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, HostConfig, Mount, MountTypeEnum, PortBinding,
    RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, StopContainerOptions,
};
use sha2::{Digest, Sha256};

use crate::client::Engine;
use crate::credentials;
use crate::error::{status_code, Error, Result};
use crate::image::{self, BuildSource};
use crate::progress::{Progress, Sink};
use crate::sandbox;
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

/// How long a start that lost the race to create the container waits for the winner's to appear.
const CREATE_RACE_WAIT: Duration = Duration::from_secs(10);

/// How long a start that finds the port taken while its container exists waits for a concurrent
/// start to bring that container up, before blaming another program. Generous: on a loaded
/// machine the engine can take seconds between publishing the port and calling it running, and
/// the wait ends as soon as it does.
const CONCURRENT_START_WAIT: Duration = Duration::from_secs(15);

/// What `start` did, for callers that tell the user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StartReport {
    /// Volumes that did not exist and were created empty.
    pub created_volumes: Vec<String>,
    /// The container was (re)created rather than reused.
    pub created_container: bool,
}

/// What the user is told when pull mode has no source to pull from.
pub const NO_SOURCE_MESSAGE: &str =
    "No prebuilt image configured: building it here, this takes a few minutes";
/// What the user is told when every pull source failed.
pub const NO_SOURCE_HAD_IT_MESSAGE: &str =
    "No source had the image: building it here, this takes a few minutes";

/// Pulls or builds the image per `settings.image_mode`; returns its id. Pull mode builds when no
/// source is set or every source failed (a stage says which), so Start works with no settings.
pub async fn refresh_image(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<String> {
    if settings.image_mode == ImageMode::Pull {
        let why = if settings.image_sources.is_empty() {
            NO_SOURCE_MESSAGE
        } else {
            match image::pull(engine, &settings.image_sources, &settings.image, sink).await {
                Ok(_) => {
                    return image::local_image_id(engine, &settings.image)
                        .await?
                        .ok_or_else(|| Error::ImageMissing {
                            image: settings.image.clone(),
                        })
                }
                Err(Error::PullFailed { .. }) => NO_SOURCE_HAD_IT_MESSAGE,
                Err(e) => return Err(e),
            }
        };
        sink(Progress::Stage {
            message: why.to_string(),
        });
    }
    let source = BuildSource::from_setting(settings.build_context.as_deref());
    build_image(engine, settings, &source, sink).await
}

/// Builds `source` as the instance's image, labelled with the instance (see [`crate::disk`]),
/// with the setting `build_args`.
pub async fn build_image(
    engine: &Engine,
    settings: &Settings,
    source: &BuildSource,
    sink: Sink<'_>,
) -> Result<String> {
    let labels = HashMap::from([(INSTANCE_LABEL.to_string(), settings.instance.clone())]);
    image::build_labelled(
        engine,
        source,
        &settings.image,
        labels,
        &settings.build_args,
        sink,
    )
    .await
}

/// Whether (in build mode) the local image was built with other build arguments than the
/// setting `build_args` now holds; a missing image is not this function's business.
async fn build_args_changed(engine: &Engine, settings: &Settings) -> Result<bool> {
    if settings.image_mode != ImageMode::Build {
        return Ok(false);
    }
    match engine.api().inspect_image(&settings.image).await {
        Ok(info) => {
            let labels = info.config.as_ref().and_then(|c| c.labels.as_ref());
            Ok(!crate::build::built_with(labels, &settings.build_args))
        }
        Err(e) if status_code(&e) == Some(404) => Ok(false),
        Err(e) => Err(engine.classify(e, |message| Error::Image {
            action: "inspect",
            image: settings.image.clone(),
            message,
        })),
    }
}

/// Brings the instance up and waits until it answers.
pub async fn start(engine: &Engine, settings: &Settings, sink: Sink<'_>) -> Result<StartReport> {
    let mut report = StartReport::default();
    // A mounted folder that vanished or now leads somewhere refused: say so before changing
    // anything (the engine's own message would be about a "bind source path").
    crate::mounts::check_all(settings)?;
    // Checked before anything changes: without its password nothing is created or started.
    settings.required_credentials()?;
    // Limits the engine cannot honour are refused first, before anything is made or torn down.
    let limits = sandbox::resolve(engine, settings).await?;
    let image_id = match image::local_image_id(engine, &settings.image).await? {
        Some(_) if crate::ownership::needs_rebuild(engine, settings).await? => {
            let (uid, gid) = crate::ownership::build_user();
            sink(Progress::Stage {
                message: format!(
                    "Rebuilding the image with your uid {uid} and gid {gid}, so files the agent \
                     writes in mounted folders are yours"
                ),
            });
            refresh_image(engine, settings, sink).await?
        }
        Some(_) if build_args_changed(engine, settings).await? => {
            sink(Progress::Stage {
                message: "Rebuilding the image: the setting build_args changed".into(),
            });
            refresh_image(engine, settings, sink).await?
        }
        Some(id) => id,
        None => refresh_image(engine, settings, sink).await?,
    };
    sink(Progress::Stage {
        message: "Preparing volumes".into(),
    });
    report.created_volumes = volume::ensure(engine, settings).await?;

    let wanted_hash = config_hash(settings, &image_id, &limits);
    let name = settings.container_name();
    let existing = status::inspect(engine, settings).await?;
    let running = existing
        .as_ref()
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.running)
        .unwrap_or(false);
    let current_hash = existing.as_ref().and_then(labels_hash);

    let needs_create = match &existing {
        None => true,
        Some(info) if current_hash.as_deref() != Some(wanted_hash.as_str()) => {
            // Check a new port before tearing down the current container, so a change that
            // cannot happen leaves a running session alone. A port the running container holds
            // itself is freed by the removal and checked again below.
            if !(running && publishes_port(info, settings.port)) {
                ensure_port_free(settings.bind_address, settings.port)?;
            }
            sink(Progress::Stage {
                message:
                    "Recreating the container for the new image or settings (volumes are kept)"
                        .into(),
            });
            remove_container(engine, info.id.as_deref().unwrap_or(&name), &name).await?;
            true
        }
        Some(_) if running => {
            wait_healthy(engine, settings, HEALTH_TIMEOUT, sink).await?;
            return Ok(report);
        }
        Some(_) => false,
    };
    if let Err(taken) = ensure_port_free(settings.bind_address, settings.port) {
        // Our own container may hold it: a concurrent start (the app, another `occ start`)
        // started it since we looked. Then all that is left is to wait for it like they do.
        if !started_by_someone_else(engine, settings, &wanted_hash).await? {
            return Err(taken);
        }
        wait_healthy(engine, settings, HEALTH_TIMEOUT, sink).await?;
        return Ok(report);
    }
    let mut created = None;
    if needs_create {
        sink(Progress::Stage {
            message: "Creating the container".into(),
        });
        created = create(engine, settings, &image_id, &limits, &wanted_hash).await?;
        report.created_container = created.is_some();
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
        // Leave nothing half-made: a container we created that could not start is removed
        // (volumes stay).
        if let Some(id) = created {
            let _ = remove_container(engine, &id, &name).await;
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
    remove_container(engine, &name, &name).await
}

/// Stops and removes one container, by name or id (`name` is for messages); gone already is
/// fine. `start` passes the id of the container it means, so that a concurrent start's fresh
/// container of the same name is safe.
async fn remove_container(engine: &Engine, target: &str, name: &str) -> Result<()> {
    let options = StopContainerOptions {
        t: Some(STOP_TIMEOUT.as_secs() as i32),
        ..Default::default()
    };
    match engine.api().stop_container(target, Some(options)).await {
        Ok(()) => {}
        Err(e) if status_code(&e) == Some(404) => return Ok(()),
        Err(e) => return Err(container_error(engine, e, "stop", name)),
    }
    let options = RemoveContainerOptions {
        force: true,
        v: false,
        ..Default::default()
    };
    match engine.api().remove_container(target, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if status_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(container_error(engine, e, "remove", name)),
    }
}

/// Creates the container and returns its id; `None` when a concurrent start created it first
/// (it is theirs to clean up if their start fails, never ours).
async fn create(
    engine: &Engine,
    settings: &Settings,
    image_id: &str,
    limits: &sandbox::Limits,
    hash: &str,
) -> Result<Option<String>> {
    let name = settings.container_name();
    let port_key = format!("{CONTAINER_PORT}/tcp");
    let volumes = settings
        .volumes()
        .into_iter()
        .map(|(volume, target)| Mount {
            source: Some(volume),
            target: Some(target.to_string()),
            typ: Some(MountTypeEnum::VOLUME),
            ..Default::default()
        });
    // Host folders after the volumes: they go inside the projects volume's path.
    let folders = settings.mounts.iter().map(|m| Mount {
        source: Some(m.host_text()),
        target: Some(m.target()),
        typ: Some(MountTypeEnum::BIND),
        read_only: Some(m.read_only),
        ..Default::default()
    });
    let mounts = volumes.chain(folders).collect();
    let mut host_config = HostConfig {
        port_bindings: Some(HashMap::from([(
            port_key.clone(),
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
    };
    sandbox::apply(limits, &mut host_config);
    let body = ContainerCreateBody {
        image: Some(settings.image.clone()),
        env: Some(container_env(settings)?),
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
        host_config: Some(host_config),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(name.clone()),
        ..Default::default()
    };
    match engine.api().create_container(Some(options), body).await {
        Ok(created) => Ok(Some(created.id)),
        // Someone else (another `occ start`, the app) created it a moment ago: use theirs. Docker
        // reserves the name before the container exists, so wait until it does.
        Err(e) if status_code(&e) == Some(409) => {
            let deadline = Instant::now() + CREATE_RACE_WAIT;
            while Instant::now() < deadline {
                if status::inspect(engine, settings).await?.is_some() {
                    return Ok(None);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(container_error(engine, e, "create", &name))
        }
        Err(e) => Err(container_error(engine, e, "create", &name)),
    }
}

/// The container's environment: the `env` setting, plus the server password when one is
/// required (opencode then asks every request for it, by HTTP basic auth).
fn container_env(settings: &Settings) -> Result<Vec<String>> {
    let mut env = settings.env.clone();
    if let Some(credentials) = settings.required_credentials()? {
        env.push(format!(
            "{}={}",
            credentials::PASSWORD_ENV,
            credentials.password()
        ));
        env.push(format!(
            "{}={}",
            credentials::USERNAME_ENV,
            credentials.username()
        ));
    }
    Ok(env)
}

/// A fingerprint of everything the container was created with; a change means recreate. The
/// password enters as its own digest, so a new password recreates the container.
fn config_hash(settings: &Settings, image_id: &str, limits: &sandbox::Limits) -> String {
    let mut fingerprint = serde_json::json!({
        "image_id": image_id,
        "port": settings.port,
        "bind_address": settings.bind_address,
        "env": settings.env,
        "password": settings.credentials().filter(|_| settings.require_password).map(|c| c.digest()),
        "volumes": settings.volumes(),
        "restart": "unless-stopped",
        // Containers made before least privilege are recreated with it on the next start.
        "security": [sandbox::NO_NEW_PRIVILEGES, "cap-drop-all"],
        "limits": limits,
    });
    // Only when there are mounts, so containers made before mounts existed keep their hash.
    if !settings.mounts.is_empty() {
        let mounts: Vec<(String, String, bool)> = settings
            .mounts
            .iter()
            .map(|m| (m.host_text(), m.target(), m.read_only))
            .collect();
        fingerprint["mounts"] = serde_json::json!(mounts);
    }
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

/// Whether our container, as these settings want it, is running or comes up within
/// [`CONCURRENT_START_WAIT`]: Docker publishes the port a moment before the container counts as
/// running, so a concurrent start can take the port while the container still looks stopped.
async fn started_by_someone_else(
    engine: &Engine,
    settings: &Settings,
    wanted_hash: &str,
) -> Result<bool> {
    let deadline = Instant::now() + CONCURRENT_START_WAIT;
    loop {
        let Some(info) = status::inspect(engine, settings).await? else {
            return Ok(false);
        };
        if labels_hash(&info).as_deref() != Some(wanted_hash) {
            return Ok(false);
        }
        if info.state.as_ref().and_then(|s| s.running) == Some(true) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The config hash the container was created with.
fn labels_hash(info: &ContainerInspectResponse) -> Option<String> {
    info.config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(CONFIG_HASH_LABEL).cloned())
}

/// Whether the container publishes `port` on the host, on any address.
fn publishes_port(info: &ContainerInspectResponse, port: u16) -> bool {
    let wanted = port.to_string();
    info.host_config
        .as_ref()
        .and_then(|h| h.port_bindings.as_ref())
        .is_some_and(|bindings| {
            bindings
                .values()
                .flatten()
                .flatten()
                .any(|b| b.host_port.as_deref() == Some(wanted.as_str()))
        })
}

fn free_port_near(address: IpAddr, port: u16) -> Option<u16> {
    (1..=50)
        .filter_map(|offset| port.checked_add(offset))
        .find(|p| TcpListener::bind(SocketAddr::new(address, *p)).is_ok())
}

fn is_port_conflict(message: &str) -> bool {
    message.contains("port is already allocated") || message.contains("address already in use")
}

/// Waits until `/global/health` answers and Docker reports the container healthy, failing early
/// if the container exits.
pub async fn wait_healthy(
    engine: &Engine,
    settings: &Settings,
    timeout: Duration,
    sink: Sink<'_>,
) -> Result<()> {
    let url = format!("{}global/health", settings.url());
    let credentials = settings.required_credentials()?;
    let started = Instant::now();
    let mut last_report = None;
    loop {
        let current = status::current(engine, settings).await?;
        // Done when the service answers us and Docker agrees (its own health check, if the image
        // has one), so the status right after a start says running and healthy.
        if current.is_ready() && crate::health::answers(&url, credentials).await {
            return Ok(());
        }
        // Podman without systemd never runs the image's health check by itself (see podman.rs).
        if engine.is_podman()
            && current.state == State::Starting
            && !current.crashed
            && crate::health::answers(&url, credentials).await
        {
            crate::podman::run_healthcheck(engine, &settings.container_name()).await?;
            continue;
        }
        match current.state {
            State::Exited | State::Stopped | State::NotCreated => {
                return Err(Error::ExitedWhileStarting {
                    exit_code: current.exit_code.unwrap_or(0),
                })
            }
            // Docker's restart policy is bringing it back after a crash. It may come up next
            // time, but a crash loop would otherwise be waited out to the health timeout: say
            // what happened now and leave the restarting to Docker.
            State::Starting if current.crashed => {
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
