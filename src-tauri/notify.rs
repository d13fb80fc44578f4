//! What is worth a desktop notification, and its words. Pure: statuses and operation outcomes
//! in, an optional `Notice` out, so every rule is unit-tested. Sending is the hub's job.

use occ_core::{State, Status};

use crate::error::AppError;
use crate::operation::Operation;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// How an operation of ours ended.
pub struct Outcome<'a> {
    pub op: Operation,
    pub image: &'a str,
    pub duration_ms: u64,
    pub result: &'a Result<(), AppError>,
}

/// The memory the rules need: the previous status, and whether the current crash (or crash loop)
/// has already been announced.
#[derive(Debug, Default)]
pub struct Notifier {
    last: Option<Status>,
    crash_reported: bool,
}

impl Notifier {
    pub fn on_status(&mut self, new: &Status) -> Option<Notice> {
        // While the engine is away nothing is known about the container: compare what comes back
        // with what was seen before it went, so a container that kept running is no news.
        if new.state == State::Unreachable && self.last.is_some() {
            return None;
        }
        let (notice, reported) = status_notice(self.last.as_ref(), new, self.crash_reported);
        self.last = Some(new.clone());
        self.crash_reported = reported;
        notice
    }

    /// The watch restarted (other instance or port): the next status is a first look again.
    pub fn forget_status(&mut self) {
        self.last = None;
    }
}

/// The notice for a status change, and whether a crash is now announced. `prev` is `None` on the
/// first look, which is never news: a crash or a ready service found at launch stays quiet.
pub fn status_notice(
    prev: Option<&Status>,
    new: &Status,
    crash_reported: bool,
) -> (Option<Notice>, bool) {
    // Healthy again, or stopped: the next crash is news again.
    let settled = new.is_ready() || matches!(new.state, State::Stopped | State::NotCreated);
    let reported = crash_reported && !settled;
    let Some(prev) = prev else {
        return (None, reported || new.crashed);
    };
    // `crashed` is only set for an exit nobody asked for: a stop from us or `docker stop` is not.
    if new.crashed && !reported {
        return (Some(crash_notice(new)), true);
    }
    if new.is_ready() && !prev.is_ready() {
        let notice = Notice {
            title: "opencode is ready".into(),
            body: format!("Open {} in your browser.", new.url),
        };
        return (Some(notice), reported);
    }
    (None, reported)
}

fn crash_notice(status: &Status) -> Notice {
    let code = status
        .exit_code
        .map_or_else(|| "an error".to_string(), |c| format!("exit code {c}"));
    let next = if status.state == State::Starting {
        "Docker is restarting it."
    } else {
        "Start it again from the tray menu, and see its logs in the window."
    };
    if status.oom_killed {
        // The kernel's kill, not opencode's failure: say so, and what helps.
        return Notice {
            title: occ_core::view::out_of_memory(status),
            body: format!(
                "The container {} used all the memory it may use and was stopped. {next} The \
                 memory setting gives it more.",
                status.container
            ),
        };
    }
    Notice {
        title: "opencode crashed".into(),
        body: format!(
            "The container {} stopped with {code}. {next}",
            status.container
        ),
    }
}

/// The notice for an operation's end: image work that finished, or anything that failed.
/// Starting is announced by the status ("ready"), so a successful start sends nothing here.
pub fn operation_notice(outcome: &Outcome<'_>) -> Option<Notice> {
    let took = occ_core::format::duration_ms(outcome.duration_ms);
    match outcome.result {
        Ok(()) => {
            let (title, body) = match outcome.op {
                Operation::Build => ("Image built", format!("Built {} in {took}.", outcome.image)),
                Operation::Pull => (
                    "Image pulled",
                    format!("Pulled {} in {took}.", outcome.image),
                ),
                Operation::Update => (
                    "Image updated",
                    format!("{} is up to date (took {took}).", outcome.image),
                ),
                _ => return None,
            };
            Some(Notice {
                title: title.into(),
                body,
            })
        }
        Err(e) if e.is_cancelled() || e.kind == "busy" => None,
        Err(e) => Some(Notice {
            title: failure_title(outcome.op).into(),
            body: summary(&e.message),
        }),
    }
}

fn failure_title(op: Operation) -> &'static str {
    match op {
        Operation::Start => "Could not start opencode",
        Operation::Stop => "Could not stop opencode",
        Operation::Restart => "Could not restart opencode",
        Operation::Pull => "Image pull failed",
        Operation::Build => "Image build failed",
        Operation::Update => "Image update failed",
        Operation::RemoveContainer => "Could not remove the container",
        Operation::NewPassword => "Could not set a new password",
    }
}

/// The first line of an error (a build failure's first line names the failing step), kept short
/// enough for a notification bubble.
fn summary(message: &str) -> String {
    const MAX: usize = 300;
    let first = message.lines().next().unwrap_or_default();
    if first.chars().count() <= MAX {
        first.to_string()
    } else {
        let cut: String = first.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State, healthy: bool) -> Status {
        Status {
            healthy,
            ..Status::with_state(&occ_core::Settings::default(), state)
        }
    }

    fn crashed(state: State, code: i64, restarts: i64) -> Status {
        Status {
            exit_code: Some(code),
            crashed: true,
            restart_count: restarts,
            ..status(state, false)
        }
    }

    /// Feeds statuses in order (the first is the first look) and collects the notices.
    fn run(statuses: &[Status]) -> Vec<Notice> {
        let mut n = Notifier::default();
        statuses.iter().filter_map(|s| n.on_status(s)).collect()
    }

    #[test]
    fn a_requested_stop_sends_nothing() {
        let stopped = Status {
            exit_code: Some(143),
            ..status(State::Stopped, false)
        };
        let notices = run(&[
            status(State::Running, true),
            status(State::Stopping, true),
            stopped,
        ]);
        assert_eq!(notices, []);
    }

    #[test]
    fn a_crash_sends_one_notice_with_the_exit_code() {
        let notices = run(&[status(State::Running, true), crashed(State::Exited, 1, 0)]);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "opencode crashed");
        assert!(
            notices[0].body.contains("exit code 1"),
            "{}",
            notices[0].body
        );
    }

    #[test]
    fn an_oom_kill_is_announced_as_one() {
        let oom = |state| Status {
            oom_killed: true,
            memory_limit: Some(4 << 30),
            ..crashed(state, 137, 1)
        };
        let notices = run(&[status(State::Running, true), oom(State::Starting)]);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0].title, "opencode ran out of memory (limit 4 GB)");
        assert!(
            notices[0].body.contains("Docker is restarting it"),
            "{}",
            notices[0].body
        );
        assert!(!notices[0].body.contains("137"), "{}", notices[0].body);
        let notices = run(&[status(State::Running, true), oom(State::Exited)]);
        assert_eq!(notices[0].title, "opencode ran out of memory (limit 4 GB)");
        assert!(
            notices[0].body.contains("memory setting"),
            "{}",
            notices[0].body
        );
    }

    #[test]
    fn a_crash_loop_sends_one_notice_until_healthy_again() {
        let notices = run(&[
            status(State::Running, true),
            crashed(State::Starting, 2, 1),
            status(State::Starting, false),
            crashed(State::Starting, 2, 2),
            status(State::Starting, false),
            crashed(State::Starting, 2, 3),
        ]);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].body.contains("restarting"),
            "{}",
            notices[0].body
        );

        // Healthy again: that is news, and the next crash is news again.
        let notices = run(&[
            status(State::Running, true),
            crashed(State::Starting, 2, 1),
            crashed(State::Starting, 2, 2),
            status(State::Running, true),
            crashed(State::Starting, 2, 3),
        ]);
        let titles: Vec<&str> = notices.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(
            titles,
            ["opencode crashed", "opencode is ready", "opencode crashed"]
        );
    }

    #[test]
    fn a_stop_ends_a_crash_loop() {
        let notices = run(&[
            status(State::Running, true),
            crashed(State::Starting, 1, 1),
            status(State::Stopped, false),
            status(State::Starting, false),
            crashed(State::Exited, 1, 0),
        ]);
        assert_eq!(notices.len(), 2, "{notices:?}");
    }

    #[test]
    fn a_crash_found_at_launch_is_not_news_and_its_loop_stays_quiet() {
        let notices = run(&[
            crashed(State::Starting, 1, 5),
            status(State::Starting, false),
            crashed(State::Starting, 1, 6),
        ]);
        assert_eq!(notices, []);
    }

    #[test]
    fn ready_is_announced_once_with_the_url() {
        let notices = run(&[
            status(State::Stopped, false),
            status(State::Starting, false),
            status(State::Running, true),
        ]);
        assert_eq!(
            notices,
            [Notice {
                title: "opencode is ready".into(),
                body: "Open http://127.0.0.1:3000/ in your browser.".into()
            }]
        );
        // Already ready at launch: nothing.
        assert_eq!(run(&[status(State::Running, true)]), []);
        // The engine was away when the app started, and comes back with it running: news.
        assert_eq!(
            run(&[
                status(State::Unreachable, false),
                status(State::Running, true)
            ])
            .len(),
            1
        );
    }

    #[test]
    fn an_engine_that_comes_back_with_nothing_changed_is_no_news() {
        let notices = run(&[
            status(State::Running, true),
            status(State::Unreachable, false),
            status(State::Running, true),
        ]);
        assert_eq!(notices, []);
        // It was stopped before the engine went away and runs when it is back: news.
        let notices = run(&[
            status(State::Stopped, false),
            status(State::Unreachable, false),
            status(State::Running, true),
        ]);
        assert_eq!(notices.len(), 1, "{notices:?}");
        // It crashed while the engine was away: news.
        let notices = run(&[
            status(State::Running, true),
            status(State::Unreachable, false),
            crashed(State::Starting, 3, 1),
        ]);
        assert_eq!(notices.len(), 1, "{notices:?}");
    }

    #[test]
    fn forgetting_makes_the_next_status_a_first_look() {
        let mut n = Notifier::default();
        assert_eq!(n.on_status(&status(State::Stopped, false)), None);
        n.forget_status();
        assert_eq!(n.on_status(&status(State::Running, true)), None);
    }

    fn outcome(op: Operation, result: &Result<(), AppError>) -> Option<Notice> {
        operation_notice(&Outcome {
            op,
            image: "opencode-cloud:local",
            duration_ms: 83_000,
            result,
        })
    }

    #[test]
    fn build_finished_and_failed() {
        let ok = outcome(Operation::Build, &Ok(())).expect("notice");
        assert_eq!(ok.title, "Image built");
        assert_eq!(ok.body, "Built opencode-cloud:local in 1 min 23 s.");

        let failed = AppError::from(occ_core::Error::BuildFailed {
            step: Some(occ_core::error::BuildStep {
                step: 3,
                total: 7,
                instruction: "RUN make".into(),
            }),
            message: "returned a non-zero code: 2".into(),
            output: vec!["make: *** [all] Error 2".into()],
        });
        let notice = outcome(Operation::Build, &Err(failed)).expect("notice");
        assert_eq!(notice.title, "Image build failed");
        assert!(
            notice.body.contains("step 3/7 `RUN make`"),
            "{}",
            notice.body
        );
        assert!(!notice.body.contains('\n'), "{}", notice.body);
    }

    #[test]
    fn pull_finished_and_failed() {
        let ok = outcome(Operation::Pull, &Ok(())).expect("notice");
        assert_eq!(ok.title, "Image pulled");
        let failed = AppError::new("pull_failed", "Could not pull the image from any source.");
        let notice = outcome(Operation::Pull, &Err(failed)).expect("notice");
        assert_eq!(notice.title, "Image pull failed");
        assert_eq!(notice.body, "Could not pull the image from any source.");
    }

    #[test]
    fn quiet_outcomes() {
        assert_eq!(outcome(Operation::Start, &Ok(())), None);
        assert_eq!(outcome(Operation::Stop, &Ok(())), None);
        assert_eq!(outcome(Operation::Build, &Err(AppError::cancelled())), None);
        assert_eq!(
            outcome(Operation::Start, &Err(AppError::busy("pulling"))),
            None
        );
        let failed = AppError::new("port_in_use", "Port 3000 is in use.");
        assert_eq!(
            outcome(Operation::Start, &Err(failed)).map(|n| n.title),
            Some("Could not start opencode".into())
        );
    }
}
