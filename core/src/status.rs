//! One state model for the instance, and a watcher that follows it through Docker's event stream
//! (no polling): every event for our container re-reads the container once and yields the new
//! status if it changed. When the engine goes away the watcher says `unreachable` and reconnects.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::client::{Engine, PING_TIMEOUT};
use crate::error::{status_code, Error, Result};
use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    NotCreated,
    /// Created but not running, or stopped on request.
    Stopped,
    /// Running but not yet healthy, or being restarted by Docker's restart policy.
    Starting,
    Running,
    /// A stop or kill has been sent and the container has not exited yet.
    Stopping,
    /// Exited on its own; `crashed` says whether nobody asked it to.
    Exited,
    /// The Docker engine does not answer.
    Unreachable,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotCreated => "not_created",
            State::Stopped => "stopped",
            State::Starting => "starting",
            State::Running => "running",
            State::Stopping => "stopping",
            State::Exited => "exited",
            State::Unreachable => "unreachable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: State,
    pub healthy: bool,
    pub exit_code: Option<i64>,
    pub crashed: bool,
    pub restart_count: i64,
    pub url: String,
    pub image: String,
    pub container: String,
    pub port: u16,
    pub bind_address: String,
}

impl Status {
    /// A status in `state` with nothing else known yet (not healthy, no exit code).
    pub fn with_state(settings: &Settings, state: State) -> Status {
        Status {
            state,
            healthy: false,
            exit_code: None,
            crashed: false,
            restart_count: 0,
            url: settings.url(),
            image: settings.image.clone(),
            container: settings.container_name(),
            port: settings.port,
            bind_address: settings.bind_address.to_string(),
        }
    }

    pub fn unreachable(settings: &Settings) -> Status {
        Status::with_state(settings, State::Unreachable)
    }

    /// Whether the web UI can be opened.
    pub fn is_ready(&self) -> bool {
        self.state == State::Running && self.healthy
    }

    /// Whether the container is up or on its way up (what a Start/Stop toggle shows as "Stop").
    pub fn is_active(&self) -> bool {
        matches!(self.state, State::Running | State::Starting)
    }
}

/// Exit codes of a process ended by SIGTERM or SIGKILL, which is what `docker stop` produces.
fn looks_requested(exit_code: i64) -> bool {
    matches!(exit_code, 0 | 137 | 143)
}

/// The status that one inspect shows. `requested_stop` is what the event history says about the
/// last exit (`None` when there is no history, e.g. on first look: then the exit code decides).
fn from_inspect(
    settings: &Settings,
    info: &ContainerInspectResponse,
    requested_stop: Option<bool>,
) -> Status {
    let mut status = Status::with_state(settings, State::Stopped);
    status.restart_count = info.restart_count.unwrap_or(0);
    let Some(state) = &info.state else {
        return status;
    };
    let exit_code = state.exit_code.unwrap_or(0);
    let health = state.health.as_ref().and_then(|h| h.status);
    let has_healthcheck = !matches!(
        health,
        None | Some(HealthStatusEnum::NONE) | Some(HealthStatusEnum::EMPTY)
    );
    match state.status {
        Some(ContainerStateStatusEnum::RUNNING) => {
            status.healthy = !has_healthcheck || health == Some(HealthStatusEnum::HEALTHY);
            status.state = if health == Some(HealthStatusEnum::STARTING) {
                State::Starting
            } else {
                State::Running
            };
        }
        Some(ContainerStateStatusEnum::RESTARTING) => {
            // Docker's restart policy is bringing it back after an exit nobody asked for.
            status.state = State::Starting;
            status.exit_code = Some(exit_code);
            status.crashed = true;
        }
        Some(ContainerStateStatusEnum::EXITED) | Some(ContainerStateStatusEnum::DEAD) => {
            let requested = requested_stop.unwrap_or_else(|| looks_requested(exit_code));
            status.exit_code = Some(exit_code);
            if requested {
                status.state = State::Stopped;
            } else {
                status.state = State::Exited;
                status.crashed = exit_code != 0;
            }
        }
        Some(ContainerStateStatusEnum::REMOVING) => status.state = State::Stopping,
        _ => status.state = State::Stopped,
    }
    status
}

/// The instance's status right now, from one inspect.
pub async fn current(engine: &Engine, settings: &Settings) -> Result<Status> {
    match inspect(engine, settings).await? {
        Some(info) => Ok(from_inspect(settings, &info, None)),
        None => Ok(Status::with_state(settings, State::NotCreated)),
    }
}

pub(crate) async fn inspect(
    engine: &Engine,
    settings: &Settings,
) -> Result<Option<ContainerInspectResponse>> {
    let name = settings.container_name();
    match engine
        .api()
        .inspect_container(
            &name,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
    {
        Ok(info) => Ok(Some(info)),
        Err(e) if status_code(&e) == Some(404) => Ok(None),
        Err(e) => Err(engine.classify(e, |message| Error::Container {
            action: "inspect",
            container: name.clone(),
            message,
        })),
    }
}

/// What the event history says about the container, which inspect alone cannot tell.
#[derive(Debug, Default)]
struct History {
    /// A stop or kill was seen since the last start.
    stop_requested: bool,
    /// The last `die` came without a stop or kill before it.
    crashed: Option<bool>,
}

impl History {
    /// Applies one event action (`start`, `kill`, `die`, `health_status: healthy`, …).
    fn apply(&mut self, action: &str) {
        match action {
            "start" | "restart" => {
                self.stop_requested = false;
            }
            "kill" => self.stop_requested = true,
            // Stopping a container that Docker is restarting after a crash sends `stop` with no
            // `die` after it: from then on its exit counts as asked for.
            "stop" => {
                self.stop_requested = true;
                self.crashed = self.crashed.map(|_| false);
            }
            "die" => self.crashed = Some(!self.stop_requested),
            "destroy" => *self = History::default(),
            _ => {}
        }
    }
}

/// A live view of the instance's status. Yields the current status first, then each change.
/// Dropping it stops the watch.
pub struct StatusWatch {
    changes: mpsc::Receiver<Status>,
    task: tokio::task::JoinHandle<()>,
}

impl StatusWatch {
    /// The next change, or `None` if the watch ended (it only ends when dropped).
    pub async fn next(&mut self) -> Option<Status> {
        self.changes.recv().await
    }
}

impl Drop for StatusWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends a status to the watcher's consumer only when it differs from the last one sent.
struct Publisher {
    tx: mpsc::Sender<Status>,
    last: Option<Status>,
}

impl Publisher {
    /// False once the consumer is gone.
    async fn publish(&mut self, status: Status) -> bool {
        if self.last.as_ref() == Some(&status) {
            return true;
        }
        self.last = Some(status.clone());
        self.tx.send(status).await.is_ok()
    }
}

/// First and longest pause between the watcher's attempts to (re)connect.
const RETRY_MIN: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Starts watching the instance on the engine at `endpoint`.
pub fn watch(endpoint: String, settings: Settings) -> StatusWatch {
    let (tx, changes) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let mut publisher = Publisher { tx, last: None };
        let mut backoff = RETRY_MIN;
        loop {
            match Engine::connect_to(&endpoint, PING_TIMEOUT).await {
                Ok(engine) => {
                    let followed = Instant::now();
                    // `follow` only returns once its event stream failed, or the consumer left.
                    let _ = follow(&engine, &settings, &mut publisher).await;
                    if publisher.tx.is_closed() {
                        return;
                    }
                    // Every failed stream is followed by a pause that grows until a stream stays
                    // up a while: an engine that answers pings but keeps dropping the event stream
                    // must not turn this loop into a busy one.
                    if followed.elapsed() >= RETRY_MAX {
                        backoff = RETRY_MIN;
                    }
                }
                Err(_) => {
                    if !publisher.publish(Status::unreachable(&settings)).await {
                        return;
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(RETRY_MAX);
        }
    });
    StatusWatch { changes, task }
}

/// Follows events until the stream ends or fails, or the consumer is gone.
async fn follow(engine: &Engine, settings: &Settings, publisher: &mut Publisher) -> Result<()> {
    let name = settings.container_name();
    // Ask for events from just before the first inspect, so nothing in between is missed.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs().saturating_sub(1))
        .unwrap_or(0);
    let options = EventsOptions {
        since: Some(since.to_string()),
        filters: Some(HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("container".to_string(), vec![name.clone()]),
        ])),
        ..Default::default()
    };
    let mut events = engine.api().events(Some(options));
    let mut history = History::default();
    if !publisher.publish(current(engine, settings).await?).await {
        return Ok(());
    }
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| engine.classify(e, Error::Docker))?;
        let attributes = event.actor.and_then(|a| a.attributes).unwrap_or_default();
        // The engine's `container` filter matches name prefixes too.
        if attributes.get("name") != Some(&name) {
            continue;
        }
        history.apply(event.action.as_deref().unwrap_or_default());
        let status = match inspect(engine, settings).await? {
            None => Status::with_state(settings, State::NotCreated),
            Some(info) => {
                let mut status = from_inspect(settings, &info, history.crashed.map(|c| !c));
                if history.stop_requested && status.state == State::Running {
                    status.state = State::Stopping;
                }
                status
            }
        };
        if !publisher.publish(status).await {
            return Ok(());
        }
    }
    Err(Error::DaemonNotRunning {
        endpoint: engine.endpoint().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_die_after_kill_is_not_a_crash() {
        let mut h = History::default();
        for a in ["start", "kill", "die", "stop"] {
            h.apply(a);
        }
        assert_eq!(h.crashed, Some(false));
        for a in ["start", "die"] {
            h.apply(a);
        }
        assert_eq!(h.crashed, Some(true));
        // Then the user stops the crash loop.
        h.apply("stop");
        assert_eq!(h.crashed, Some(false));
    }

    #[test]
    fn state_serializes_snake_case() {
        let json =
            serde_json::to_value(Status::with_state(&Settings::default(), State::NotCreated))
                .expect("json");
        assert_eq!(json["state"], "not_created");
        assert_eq!(json["url"], "http://127.0.0.1:3000/");
    }
}
