//! What every surface says about the instance. One pure function turns the observed status (and
//! the operation running, if any) into the words, the tone and the actions that the tray, the
//! window and `occ status` show, so they cannot disagree.

use serde::Serialize;

use crate::activity::Activity;
use crate::status::{State, Status};

/// The colour family of a state: the tray icon and the window's status dot use the same four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Running,
    Busy,
    Stopped,
    Error,
}

/// Whether an action can be taken now, and if not, why (for a tooltip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub enabled: bool,
    pub why_not: Option<String>,
}

impl Action {
    fn yes() -> Action {
        Action {
            enabled: true,
            why_not: None,
        }
    }

    fn no(why: impl Into<String>) -> Action {
        Action {
            enabled: false,
            why_not: Some(why.into()),
        }
    }

    fn when(enabled: bool, why_not: impl FnOnce() -> String) -> Action {
        if enabled {
            Action::yes()
        } else {
            Action::no(why_not())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actions {
    pub start: Action,
    pub stop: Action,
    pub restart: Action,
    /// Pull or rebuild the image, then recreate the container on it.
    pub update: Action,
    pub remove: Action,
    /// Open the web UI in the browser.
    pub open: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusView {
    /// One line: "Running — http://127.0.0.1:3000/", "Pulling the image…".
    pub headline: String,
    /// Advice under the headline, or "" when none is needed.
    pub detail: String,
    pub tone: Tone,
    /// The container is up or on its way up: a Start/Stop toggle shows "Stop".
    pub active: bool,
    pub actions: Actions,
    /// Which engine, where it was found ("Podman 4.3.1 at unix:///run/podman/podman.sock, from
    /// context podman"), or "" while none answers.
    pub engine: String,
}

/// The view of `status` (`None` before the first one arrives) while `busy` — the running
/// operation and its progress so far — runs: the headline says what is happening now.
pub fn status_view(status: Option<&Status>, busy: Option<&Activity>) -> StatusView {
    let (headline, tone) = match (busy, status) {
        (Some(activity), _) => (activity.headline(), Tone::Busy),
        (None, None) => ("Connecting to Docker…".to_string(), Tone::Busy),
        (None, Some(status)) => describe(status),
    };
    let detail = match busy {
        Some(activity) if activity.is_long() => {
            "This can take a few minutes. You may close this window: a notification says when it \
             is done."
                .to_string()
        }
        _ => status.map(detail).unwrap_or_default(),
    };
    StatusView {
        headline,
        detail,
        tone,
        active: status.is_some_and(Status::is_active),
        actions: actions(status, busy),
        engine: status
            .and_then(|s| s.engine.as_ref())
            .map(|e| e.summary.clone())
            .unwrap_or_default(),
    }
}

fn exit_code(status: &Status) -> String {
    status
        .exit_code
        .map_or(String::new(), |c| format!(" (exit code {c})"))
}

/// "opencode ran out of memory (limit 4 GB)": the words for an OOM kill, everywhere.
pub fn out_of_memory(status: &Status) -> String {
    match status.memory_limit {
        Some(limit) => format!(
            "opencode ran out of memory (limit {})",
            crate::format::binary_size(limit)
        ),
        None => "opencode ran out of memory".to_string(),
    }
}

const RAISE_MEMORY: &str =
    "Give it more with the memory setting (`occ config set memory 8g`), or see in its logs what \
     grew.";

fn describe(status: &Status) -> (String, Tone) {
    match status.state {
        State::Starting if status.oom_killed => (
            format!("{}, restarting…", out_of_memory(status)),
            Tone::Error,
        ),
        State::Exited if status.oom_killed => (out_of_memory(status), Tone::Error),
        State::NotCreated => ("Not created yet".into(), Tone::Stopped),
        State::Stopped => ("Stopped".into(), Tone::Stopped),
        State::Starting if status.crashed => (
            format!("Restarting after a crash{}…", exit_code(status)),
            Tone::Error,
        ),
        State::Starting => ("Starting…".into(), Tone::Busy),
        State::Running if status.healthy => (format!("Running — {}", status.url), Tone::Running),
        State::Running => (format!("Unhealthy — {}", status.url), Tone::Error),
        State::Stopping => ("Stopping…".into(), Tone::Busy),
        State::Exited if status.crashed => (format!("Crashed{}", exit_code(status)), Tone::Error),
        State::Exited => (format!("Exited{}", exit_code(status)), Tone::Stopped),
        State::Unreachable => ("Docker is not reachable".into(), Tone::Error),
    }
}

fn detail(status: &Status) -> String {
    let restarts = |n: i64| {
        format!(
            "Docker restarted the container {n} time{}.",
            if n == 1 { "" } else { "s" }
        )
    };
    match status.state {
        State::Unreachable => status.engine_error.clone().unwrap_or_else(|| {
            "Start Docker Desktop or the Docker service, then try again.".into()
        }),
        State::NotCreated => "Start gets the opencode image (building it here takes a few minutes \
                              the first time), then creates the container and its volumes and \
                              runs it."
            .into(),
        State::Starting if status.oom_killed => format!(
            "The kernel stopped it for using all the memory it may use, and Docker is restarting \
             it. {RAISE_MEMORY}"
        ),
        State::Exited if status.oom_killed => format!(
            "The kernel stopped it for using all the memory it may use. {RAISE_MEMORY}"
        ),
        State::Starting if status.crashed => {
            "opencode stopped on its own and Docker is restarting it: its logs say why, and Stop ends \
             the restarts."
                .into()
        }
        State::Exited if status.crashed => "opencode stopped on its own: its logs say why.".into(),
        State::Running if !status.healthy => {
            "opencode does not answer its health check: its logs may say why.".into()
        }
        State::Running if status.restart_count > 0 => restarts(status.restart_count),
        _ => String::new(),
    }
}

fn actions(status: Option<&Status>, busy: Option<&Activity>) -> Actions {
    let state = status.map(|s| s.state);
    // Why a lifecycle action cannot run now, whatever the state.
    let blocked = match (busy, state) {
        (Some(activity), _) => Some(format!("Wait until {} is done.", activity.doing())),
        (None, None) => Some("Still connecting to Docker.".to_string()),
        (None, Some(State::Unreachable)) => Some("Docker is not reachable.".to_string()),
        _ => None,
    };
    let lifecycle = |allowed: bool, why_not: &str| match &blocked {
        Some(why) => Action::no(why.clone()),
        None => Action::when(allowed, || why_not.to_string()),
    };
    let active = status.is_some_and(Status::is_active);
    Actions {
        start: lifecycle(
            matches!(
                state,
                Some(State::NotCreated | State::Stopped | State::Exited)
            ),
            if state == Some(State::Stopping) {
                "It is stopping."
            } else {
                "It is already running."
            },
        ),
        stop: lifecycle(active, "It is not running."),
        restart: lifecycle(active, "It is not running."),
        update: lifecycle(true, ""),
        remove: lifecycle(
            state != Some(State::NotCreated),
            "There is no container to remove.",
        ),
        // Not a lifecycle action: the page can be opened while an operation runs.
        open: Action::when(status.is_some_and(Status::is_ready), || {
            "opencode is not running and healthy.".to_string()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn status(state: State, healthy: bool) -> Status {
        Status {
            healthy,
            ..Status::with_state(&Settings::default(), state)
        }
    }

    fn enabled(v: &StatusView) -> [bool; 6] {
        let a = &v.actions;
        [
            a.start.enabled,
            a.stop.enabled,
            a.restart.enabled,
            a.update.enabled,
            a.remove.enabled,
            a.open.enabled,
        ]
    }

    #[test]
    fn every_state_reads_and_acts_the_same_everywhere() {
        let crashed = |state| Status {
            crashed: true,
            exit_code: Some(3),
            restart_count: 1,
            ..status(state, false)
        };
        // (status, headline, tone, [start, stop, restart, update, remove, open])
        let rows = [
            (
                status(State::NotCreated, false),
                "Not created yet",
                Tone::Stopped,
                [true, false, false, true, false, false],
            ),
            (
                status(State::Stopped, false),
                "Stopped",
                Tone::Stopped,
                [true, false, false, true, true, false],
            ),
            (
                status(State::Starting, false),
                "Starting…",
                Tone::Busy,
                [false, true, true, true, true, false],
            ),
            (
                crashed(State::Starting),
                "Restarting after a crash (exit code 3)…",
                Tone::Error,
                [false, true, true, true, true, false],
            ),
            (
                status(State::Running, true),
                "Running — http://127.0.0.1:3000/",
                Tone::Running,
                [false, true, true, true, true, true],
            ),
            (
                status(State::Running, false),
                "Unhealthy — http://127.0.0.1:3000/",
                Tone::Error,
                [false, true, true, true, true, false],
            ),
            (
                status(State::Stopping, false),
                "Stopping…",
                Tone::Busy,
                [false, false, false, true, true, false],
            ),
            (
                crashed(State::Exited),
                "Crashed (exit code 3)",
                Tone::Error,
                [true, false, false, true, true, false],
            ),
            (
                status(State::Unreachable, false),
                "Docker is not reachable",
                Tone::Error,
                [false; 6],
            ),
        ];
        for (status, headline, tone, want) in rows {
            let view = status_view(Some(&status), None);
            assert_eq!(view.headline, headline, "{status:?}");
            assert_eq!(view.tone, tone, "{status:?}");
            assert_eq!(enabled(&view), want, "{status:?}");
            for action in [
                &view.actions.start,
                &view.actions.stop,
                &view.actions.remove,
            ] {
                assert_eq!(action.enabled, action.why_not.is_none(), "{status:?}");
            }
        }
    }

    #[test]
    fn an_operation_disables_every_lifecycle_action_and_says_why() {
        let running = status(State::Running, true);
        let view = status_view(Some(&running), Some(&Activity::new("pulling the image")));
        assert_eq!(view.headline, "Pulling the image…");
        assert!(view.detail.contains("notification"), "{}", view.detail);
        assert_eq!(view.tone, Tone::Busy);
        assert_eq!(enabled(&view), [false, false, false, false, false, true]);
        assert_eq!(
            view.actions.stop.why_not.as_deref(),
            Some("Wait until pulling the image is done.")
        );
        assert!(view.active, "the toggle still says Stop");
    }

    #[test]
    fn before_the_first_status() {
        let view = status_view(None, None);
        assert_eq!(view.headline, "Connecting to Docker…");
        assert_eq!(enabled(&view), [false; 6]);
        assert!(!view.active);
    }

    #[test]
    fn an_oom_kill_reads_as_one() {
        let oom = |state| Status {
            crashed: true,
            oom_killed: true,
            exit_code: Some(137),
            memory_limit: Some(4 << 30),
            ..status(state, false)
        };
        let view = status_view(Some(&oom(State::Exited)), None);
        assert_eq!(view.headline, "opencode ran out of memory (limit 4 GB)");
        assert_eq!(view.tone, Tone::Error);
        assert!(
            view.detail.contains("occ config set memory"),
            "{}",
            view.detail
        );
        assert!(view.actions.start.enabled);
        let view = status_view(Some(&oom(State::Starting)), None);
        assert_eq!(
            view.headline,
            "opencode ran out of memory (limit 4 GB), restarting…"
        );
        let unknown = Status {
            memory_limit: None,
            ..oom(State::Exited)
        };
        assert_eq!(
            status_view(Some(&unknown), None).headline,
            "opencode ran out of memory"
        );
    }

    #[test]
    fn details_advise() {
        let view = status_view(Some(&status(State::Unreachable, false)), None);
        assert!(view.detail.contains("Docker"), "{}", view.detail);
        let restarted = Status {
            restart_count: 2,
            ..status(State::Running, true)
        };
        assert_eq!(
            status_view(Some(&restarted), None).detail,
            "Docker restarted the container 2 times."
        );
        assert_eq!(
            status_view(Some(&status(State::Stopped, false)), None).detail,
            ""
        );
    }
}
