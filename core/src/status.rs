//! One state model for the instance, and a watcher that follows it through Docker's event stream
//! (no polling): every event for our container re-reads the container once and yields the new
//! status if it changed. When the engine goes away the watcher says `unreachable` and reconnects.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bollard::models::EventMessage;
use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters::EventsOptions;
use futures_util::{FutureExt, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::client::{Engine, EngineInfo};
use crate::engine_wait::{self, Target, RETRY_MAX, RETRY_MIN};
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
    /// The last exit was the kernel's: the container used all the memory it may use.
    pub oom_killed: bool,
    /// The container's memory limit in bytes, `None` when it has none (or none is known).
    pub memory_limit: Option<u64>,
    pub restart_count: i64,
    pub url: String,
    pub image: String,
    pub container: String,
    pub port: u16,
    pub bind_address: String,
    /// Which engine answered and where it was found; `None` while none answers.
    pub engine: Option<EngineInfo>,
    /// Why no engine answers (what was tried, how to choose one), while `unreachable`.
    pub engine_error: Option<String>,
}

impl Status {
    /// A status in `state` with nothing else known yet (not healthy, no exit code).
    pub fn with_state(settings: &Settings, state: State) -> Status {
        Status {
            state,
            healthy: false,
            exit_code: None,
            crashed: false,
            oom_killed: false,
            memory_limit: None,
            restart_count: 0,
            url: settings.url(),
            image: settings.image.clone(),
            container: settings.container_name(),
            port: settings.port,
            bind_address: settings.bind_address.to_string(),
            engine: None,
            engine_error: None,
        }
    }

    pub fn unreachable(settings: &Settings) -> Status {
        Status::with_state(settings, State::Unreachable)
    }

    /// Unreachable, saying why: the error of the last attempt to connect.
    pub fn unreachable_because(settings: &Settings, error: &Error) -> Status {
        Status {
            engine_error: Some(error.to_string()),
            ..Status::unreachable(settings)
        }
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

/// The exit code of a process ended by SIGKILL, which is what the kernel's OOM killer sends (tini
/// passes its child's death on as 128 + 9).
const SIGKILL_EXIT: i64 = 137;

/// The status that one inspect shows. `requested_stop` is what the event history says about the
/// last exit (`None` when there is no history, e.g. on first look: then the exit code decides).
fn from_inspect(
    settings: &Settings,
    info: &ContainerInspectResponse,
    requested_stop: Option<bool>,
) -> Status {
    let mut status = Status::with_state(settings, State::Stopped);
    status.restart_count = info.restart_count.unwrap_or(0);
    status.memory_limit = info
        .host_config
        .as_ref()
        .and_then(|h| h.memory)
        .filter(|m| *m > 0)
        .map(|m| m as u64);
    let Some(state) = &info.state else {
        return status;
    };
    let exit_code = state.exit_code.unwrap_or(0);
    // Docker keeps `OOMKilled` from the last exit even once the container runs again, and sets it
    // when any process in the container met the limit: it speaks for an exit only while the
    // container is down and that exit was a SIGKILL.
    let oom_exit = state.oom_killed == Some(true) && exit_code == SIGKILL_EXIT;
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
            status.oom_killed = oom_exit;
        }
        Some(ContainerStateStatusEnum::EXITED) | Some(ContainerStateStatusEnum::DEAD) => {
            // Nobody asks for an OOM kill, whatever its exit code looks like.
            let requested =
                requested_stop.unwrap_or_else(|| looks_requested(exit_code) && !oom_exit);
            status.exit_code = Some(exit_code);
            if requested {
                status.state = State::Stopped;
            } else {
                status.state = State::Exited;
                status.crashed = exit_code != 0;
                status.oom_killed = oom_exit;
            }
        }
        Some(ContainerStateStatusEnum::REMOVING) => status.state = State::Stopping,
        _ => status.state = State::Stopped,
    }
    status
}

/// The instance's status right now, from one inspect.
pub async fn current(engine: &Engine, settings: &Settings) -> Result<Status> {
    let mut status = match inspect(engine, settings).await? {
        Some(info) => from_inspect(settings, &info, None),
        None => Status::with_state(settings, State::NotCreated),
    };
    status.engine = engine.info().cloned();
    Ok(status)
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

/// What the event history says about the container, which inspect alone cannot tell. It lives
/// as long as the watch, across reconnects, so a stop asked for before the engine went away is
/// still a stop when it comes back.
#[derive(Debug, Default)]
struct History {
    /// A stop or kill was seen since the last start.
    stop_requested: bool,
    /// The verdict on the last exit seen since the last start: `Some(true)` for a crash.
    /// Cleared by `start`, so an inspect that runs ahead of the events (an exit whose `die` is
    /// still on its way) is judged by its exit code, never by an older crash's verdict.
    last_exit_crashed: Option<bool>,
    /// A crash (its exit code) not yet carried by a published status. Docker may restart the
    /// container before we inspect it; the crash is still news.
    unpublished_crash: Option<i64>,
    /// The kernel's OOM killer struck since the last start (Docker's `oom` event, which comes
    /// before the `die` it causes).
    oom_since_start: bool,
    /// The unpublished crash was an OOM kill.
    unpublished_oom: bool,
    /// When the last applied event happened (ns since the epoch): where a reconnect resumes.
    last_event_nanos: Option<i64>,
    /// The engine is Podman, which does not always announce a stop: a `docker stop` there may
    /// show only as a `die` with exit code 137 or 143, so those are taken as asked for.
    signals_are_stops: bool,
}

impl History {
    /// Applies one event action (`start`, `kill`, `die`, `health_status: healthy`, …);
    /// `exit_code` is the `die` event's own exit code.
    fn apply(&mut self, action: &str, exit_code: Option<i64>) {
        match action {
            "start" | "restart" => {
                self.stop_requested = false;
                self.last_exit_crashed = None;
                self.oom_since_start = false;
            }
            "oom" => self.oom_since_start = true,
            "kill" => self.stop_requested = true,
            // Stopping a container that Docker is restarting after a crash sends `stop` with no
            // `die` after it: from then on its exit counts as asked for.
            "stop" => {
                self.stop_requested = true;
                self.last_exit_crashed = self.last_exit_crashed.map(|_| false);
            }
            "die" => {
                let signalled = matches!(exit_code, Some(137 | 143));
                let crashed = !(self.stop_requested || self.signals_are_stops && signalled);
                self.last_exit_crashed = Some(crashed);
                if crashed {
                    self.unpublished_crash = Some(exit_code.unwrap_or(-1));
                    self.unpublished_oom = self.oom_since_start && exit_code == Some(SIGKILL_EXIT);
                }
            }
            // Podman says `remove` where Docker says `destroy`.
            "destroy" | "remove" => {
                let last_event_nanos = self.last_event_nanos;
                let signals_are_stops = self.signals_are_stops;
                *self = History {
                    last_event_nanos,
                    signals_are_stops,
                    ..History::default()
                };
            }
            _ => {}
        }
    }

    /// The status one inspect shows, read in the light of the events applied so far. Takes the
    /// unpublished crash: it rides on this status.
    fn status(&mut self, settings: &Settings, info: Option<&ContainerInspectResponse>) -> Status {
        let Some(info) = info else {
            return Status::with_state(settings, State::NotCreated);
        };
        let mut status = from_inspect(settings, info, self.last_exit_crashed.map(|c| !c));
        if let Some(code) = self.unpublished_crash.take() {
            status.crashed = true;
            status.exit_code = Some(code);
            status.oom_killed |= std::mem::take(&mut self.unpublished_oom);
            status.healthy = false;
            if matches!(status.state, State::Running | State::Starting) {
                // Already brought back by the restart policy.
                status.state = State::Starting;
            }
        } else if self.stop_requested && status.state == State::Running {
            status.state = State::Stopping;
        }
        status
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
    /// The engine followed now, stamped on every status.
    engine: Option<EngineInfo>,
}

impl Publisher {
    /// False once the consumer is gone.
    async fn publish(&mut self, mut status: Status) -> bool {
        if status.state != State::Unreachable {
            status.engine = self.engine.clone();
        }
        if self.last.as_ref() == Some(&status) {
            return true;
        }
        self.last = Some(status.clone());
        self.tx.send(status).await.is_ok()
    }
}

/// Starts watching the instance on the engine at `endpoint`.
pub fn watch(endpoint: String, settings: Settings) -> StatusWatch {
    spawn_watch(Target::Endpoint(endpoint), settings)
}

/// Starts watching the instance on the engine the `engine` setting leads to (found the way the
/// docker CLI does; see [`crate::discovery`]). While none answers, it waits for a socket to appear.
pub fn watch_engine(settings: Settings) -> StatusWatch {
    spawn_watch(Target::Discover(settings.engine.clone()), settings)
}

fn spawn_watch(target: Target, settings: Settings) -> StatusWatch {
    let (tx, changes) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let mut publisher = Publisher {
            tx,
            last: None,
            engine: None,
        };
        let mut history = History::default();
        let mut backoff = RETRY_MIN;
        loop {
            match target.connect().await {
                Ok(engine) => {
                    publisher.engine = engine.info().cloned();
                    let followed = Instant::now();
                    // `follow` only returns once its event stream failed, or the consumer left.
                    let _ = follow(&engine, &settings, &mut history, &mut publisher).await;
                    if publisher.tx.is_closed() {
                        return;
                    }
                    // Every failed stream is followed by a pause that grows until a stream stays
                    // up a while: an engine that answers pings but keeps dropping the event stream
                    // must not turn this loop into a busy one.
                    if followed.elapsed() >= RETRY_MAX {
                        backoff = RETRY_MIN;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RETRY_MAX);
                }
                Err(e) => {
                    publisher.engine = None;
                    if !publisher
                        .publish(Status::unreachable_because(&settings, &e))
                        .await
                    {
                        return;
                    }
                    engine_wait::until_worth_retrying(&target, &mut backoff).await;
                }
            }
        }
    });
    StatusWatch { changes, task }
}

/// Follows events until the stream ends or fails, or the consumer is gone.
async fn follow(
    engine: &Engine,
    settings: &Settings,
    history: &mut History,
    publisher: &mut Publisher,
) -> Result<()> {
    let name = settings.container_name();
    // Resume from the last event seen, so a stop or crash while the stream was down is not
    // missed; on the first connect, from just before the first inspect.
    let since = match history.last_event_nanos {
        Some(nanos) => format!("{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000),
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs().saturating_sub(1))
            .unwrap_or(0)
            .to_string(),
    };
    let options = EventsOptions {
        since: Some(since),
        filters: Some(HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("container".to_string(), vec![name.clone()]),
        ])),
        ..Default::default()
    };
    let mut events = engine.api().events(Some(options));
    history.signals_are_stops = engine.is_podman();
    let mut kick = crate::podman::HealthKick::default();
    let info = inspect(engine, settings).await?;
    kick.consider(engine, settings, info.as_ref());
    if !publisher
        .publish(history.status(settings, info.as_ref()))
        .await
    {
        return Ok(());
    }
    while let Some(event) = events.next().await {
        let mut relevant = apply_event(
            &name,
            history,
            event.map_err(|e| engine.classify(e, Error::Docker))?,
        );
        // Apply every event already waiting before inspecting: one inspect that lags behind a
        // burst (kill, die, stop) must not be paired with the history of only its first event.
        while let Some(Some(event)) = events.next().now_or_never() {
            relevant |= apply_event(
                &name,
                history,
                event.map_err(|e| engine.classify(e, Error::Docker))?,
            );
        }
        if !relevant {
            continue;
        }
        let info = inspect(engine, settings).await?;
        kick.consider(engine, settings, info.as_ref());
        if !publisher
            .publish(history.status(settings, info.as_ref()))
            .await
        {
            return Ok(());
        }
    }
    Err(Error::DaemonNotRunning {
        endpoint: engine.endpoint().to_string(),
    })
}

/// Applies one event to the history; false when it is not about our container (the engine's
/// `container` filter matches name prefixes too) or was already applied before a reconnect.
fn apply_event(name: &str, history: &mut History, event: EventMessage) -> bool {
    let attributes = event.actor.and_then(|a| a.attributes).unwrap_or_default();
    if attributes.get("name").map(String::as_str) != Some(name) {
        return false;
    }
    if let (Some(at), Some(last)) = (event.time_nano, history.last_event_nanos) {
        if at <= last {
            return false;
        }
    }
    history.last_event_nanos = event.time_nano.or(history.last_event_nanos);
    let exit_code = attributes.get("exitCode").and_then(|c| c.parse().ok());
    history.apply(event.action.as_deref().unwrap_or_default(), exit_code);
    true
}

#[cfg(test)]
mod oom_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_all(h: &mut History, actions: &[&str]) {
        for a in actions {
            h.apply(a, (*a == "die").then_some(3));
        }
    }

    #[test]
    fn a_die_after_kill_is_not_a_crash() {
        let mut h = History::default();
        apply_all(&mut h, &["start", "kill", "die", "stop"]);
        assert_eq!(h.last_exit_crashed, Some(false));
        assert_eq!(h.unpublished_crash, None);
        apply_all(&mut h, &["start", "die"]);
        assert_eq!(h.last_exit_crashed, Some(true));
        assert_eq!(h.unpublished_crash, Some(3));
        // Then the user stops the crash loop.
        h.apply("stop", None);
        assert_eq!(h.last_exit_crashed, Some(false));
    }

    #[test]
    fn a_start_forgets_the_last_exit_but_not_an_unpublished_crash() {
        let mut h = History::default();
        // Crash and restart arrive in one burst, before any inspect.
        apply_all(&mut h, &["start", "die", "start"]);
        assert_eq!(h.last_exit_crashed, None);
        assert_eq!(h.unpublished_crash, Some(3));
        assert!(!h.stop_requested);
    }

    #[test]
    fn on_podman_a_die_by_signal_without_a_stop_event_is_no_crash() {
        let mut h = History {
            signals_are_stops: true,
            ..History::default()
        };
        h.apply("start", None);
        h.apply("die", Some(137));
        assert_eq!(h.last_exit_crashed, Some(false));
        assert_eq!(h.unpublished_crash, None);
        h.apply("start", None);
        h.apply("die", Some(3));
        assert_eq!(h.unpublished_crash, Some(3));
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
