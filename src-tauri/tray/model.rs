//! What the tray shows, as a pure function of the observed status, the running operation and
//! `stop_on_quit`: labels, enabled flags and the icon. Unit-tested for every state.

use occ_core::{StatusView, Tone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    Stopped,
    Busy,
    Running,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub status_line: String,
    /// Which engine the status comes from: "Engine: Podman 4.3.1 at …, from context podman".
    pub engine_line: String,
    pub toggle_label: &'static str,
    pub toggle_enabled: bool,
    pub restart_enabled: bool,
    pub open_enabled: bool,
    pub update_enabled: bool,
    pub quit_label: &'static str,
    pub icon: IconKind,
}

fn quit_label(stop_on_quit: bool) -> &'static str {
    if stop_on_quit {
        "Quit and stop the container"
    } else {
        "Quit (container keeps running)"
    }
}

impl IconKind {
    fn of(tone: Tone) -> IconKind {
        match tone {
            Tone::Running => IconKind::Running,
            Tone::Busy => IconKind::Busy,
            Tone::Stopped => IconKind::Stopped,
            Tone::Error => IconKind::Error,
        }
    }
}

/// What the menu shows for a view of the status (its words and rules live in the core).
pub fn menu_model(view: &StatusView, stop_on_quit: bool) -> TrayModel {
    let a = &view.actions;
    TrayModel {
        status_line: view.headline.clone(),
        engine_line: if view.engine.is_empty() {
            "Engine: not connected".to_string()
        } else {
            format!("Engine: {}", view.engine)
        },
        toggle_label: if view.active { "Stop" } else { "Start" },
        toggle_enabled: if view.active {
            a.stop.enabled
        } else {
            a.start.enabled
        },
        restart_enabled: a.restart.enabled,
        open_enabled: a.open.enabled,
        update_enabled: a.update.enabled,
        quit_label: quit_label(stop_on_quit),
        icon: IconKind::of(view.tone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::Operation;
    use occ_core::{status_view, Activity, State, Status};

    fn status(state: State, healthy: bool) -> Status {
        Status {
            healthy,
            ..Status::with_state(&occ_core::Settings::default(), state)
        }
    }

    /// (line, toggle label, toggle, restart, open, update, icon)
    type Row = (&'static str, &'static str, bool, bool, bool, bool, IconKind);

    fn row(m: &TrayModel) -> (String, &'static str, bool, bool, bool, bool, IconKind) {
        (
            m.status_line.clone(),
            m.toggle_label,
            m.toggle_enabled,
            m.restart_enabled,
            m.open_enabled,
            m.update_enabled,
            m.icon,
        )
    }

    fn check(s: &Status, busy: Option<&'static str>, want: Row) {
        let got = row(&menu_model(
            &status_view(Some(s), busy.map(Activity::new).as_ref()),
            false,
        ));
        let want = (
            want.0.to_string(),
            want.1,
            want.2,
            want.3,
            want.4,
            want.5,
            want.6,
        );
        assert_eq!(got, want, "{:?} busy={busy:?}", s.state);
    }

    use IconKind::*;

    #[test]
    fn not_created() {
        let s = status(State::NotCreated, false);
        check(
            &s,
            None,
            (
                "Not created yet",
                "Start",
                true,
                false,
                false,
                true,
                Stopped,
            ),
        );
    }

    #[test]
    fn stopped() {
        let s = status(State::Stopped, false);
        check(
            &s,
            None,
            ("Stopped", "Start", true, false, false, true, Stopped),
        );
    }

    #[test]
    fn starting() {
        let s = status(State::Starting, false);
        check(
            &s,
            None,
            ("Starting…", "Stop", true, true, false, true, Busy),
        );
    }

    #[test]
    fn running_unhealthy() {
        let s = status(State::Running, false);
        let line = "Unhealthy — http://127.0.0.1:3000/";
        check(&s, None, (line, "Stop", true, true, false, true, Error));
    }

    #[test]
    fn running_healthy() {
        let s = status(State::Running, true);
        let line = "Running — http://127.0.0.1:3000/";
        check(&s, None, (line, "Stop", true, true, true, true, Running));
    }

    #[test]
    fn stopping() {
        let s = status(State::Stopping, false);
        check(
            &s,
            None,
            ("Stopping…", "Start", false, false, false, true, Busy),
        );
    }

    #[test]
    fn exited_crashed() {
        let s = Status {
            exit_code: Some(2),
            crashed: true,
            ..status(State::Exited, false)
        };
        check(
            &s,
            None,
            (
                "Crashed (exit code 2)",
                "Start",
                true,
                false,
                false,
                true,
                Error,
            ),
        );
        let looping = Status {
            state: State::Starting,
            ..s
        };
        let line = "Restarting after a crash (exit code 2)…";
        check(
            &looping,
            None,
            (line, "Stop", true, true, false, true, Error),
        );
    }

    #[test]
    fn out_of_memory() {
        let s = Status {
            exit_code: Some(137),
            crashed: true,
            oom_killed: true,
            memory_limit: Some(4 << 30),
            ..status(State::Exited, false)
        };
        let line = "opencode ran out of memory (limit 4 GB)";
        check(&s, None, (line, "Start", true, false, false, true, Error));
        let restarting = Status {
            state: State::Starting,
            ..s
        };
        let line = "opencode ran out of memory (limit 4 GB), restarting…";
        check(
            &restarting,
            None,
            (line, "Stop", true, true, false, true, Error),
        );
    }

    #[test]
    fn unreachable() {
        let s = status(State::Unreachable, false);
        let line = "Docker is not reachable";
        check(&s, None, (line, "Start", false, false, false, false, Error));
    }

    #[test]
    fn busy_disables_actions_but_not_open() {
        let s = status(State::Running, true);
        let busy = Some(Operation::Pull.activity());
        check(
            &s,
            busy,
            (
                "Pulling the image…",
                "Stop",
                false,
                false,
                true,
                false,
                Busy,
            ),
        );
        let s = status(State::Stopped, false);
        let busy = Some(Operation::Start.activity());
        check(
            &s,
            busy,
            ("Starting…", "Start", false, false, false, false, Busy),
        );
    }

    #[test]
    fn quit_label_follows_stop_on_quit() {
        let s = status(State::Running, true);
        assert_eq!(
            menu_model(&status_view(Some(&s), None), false).quit_label,
            "Quit (container keeps running)"
        );
        assert_eq!(
            menu_model(&status_view(Some(&s), None), true).quit_label,
            "Quit and stop the container"
        );
    }

    #[test]
    fn connecting_disables_everything() {
        let m = menu_model(&status_view(None, None), false);
        assert_eq!(m.status_line, "Connecting to Docker…");
        assert!(!(m.toggle_enabled || m.restart_enabled || m.open_enabled || m.update_enabled));
    }

    #[test]
    fn the_engine_line_names_the_engine() {
        let mut s = status(State::Running, true);
        let line = |s: &Status| menu_model(&status_view(Some(s), None), false).engine_line;
        assert_eq!(line(&s), "Engine: not connected");
        let summary = "Podman 4.3.1 at unix:///run/podman/podman.sock, from context podman";
        s.engine = Some(occ_core::EngineInfo {
            name: "Podman".into(),
            version: "4.3.1".into(),
            endpoint: "unix:///run/podman/podman.sock".into(),
            source: "from context podman".into(),
            api_version: "1.41".into(),
            summary: summary.into(),
        });
        assert_eq!(line(&s), format!("Engine: {summary}"));
    }
}
