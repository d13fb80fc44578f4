//! What the app knows and shows: the observed status, the running operation and its progress,
//! the last error, the settings in use. The owner and the status watcher write it here; this is
//! the one place that turns a change into a window event, a tray refresh and a notification.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use occ_core::{status_view, Activity, Progress, Settings, Status, StatusView};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::watch;

use crate::error::AppError;
use crate::notify::{self, Notice, Notifier, Outcome};
use crate::operation::Operation;

/// How many progress events of the current operation a window opened mid-way can replay.
const SNAPSHOT_EVENTS: usize = 500;

/// Cheap to clone; managed as state and handed to the tasks.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    app: AppHandle,
    /// The settings the watcher and the tray follow; the watcher restarts when they change.
    settings: watch::Sender<Settings>,
    state: Mutex<Published>,
    /// Shows each new view on the tray (set once at setup; the hub knows no tray).
    on_view: OnceLock<ViewListener>,
}

/// Called with every new status view and `stop_on_quit`, in order, while the state is locked.
pub type ViewListener = Box<dyn Fn(&StatusView, bool) + Send + Sync>;

#[derive(Default)]
struct Published {
    status: Option<Status>,
    current: Option<Current>,
    last_error: Option<AppError>,
    notifier: Notifier,
    /// What loading the settings changed in the file (said once, at launch).
    notices: Vec<String>,
    /// The view last sent, so progress that changes no word sends nothing.
    last_view: Option<StatusView>,
}

struct Current {
    op: Operation,
    events: VecDeque<Progress>,
    /// What it is doing now, for the headline.
    activity: Activity,
}

/// The `snapshot` command's answer.
#[derive(Serialize)]
pub struct Snapshot {
    status: Option<Status>,
    view: StatusView,
    operation: Option<OperationView>,
    last_error: Option<AppError>,
    notices: Vec<String>,
}

#[derive(Serialize)]
struct OperationView {
    name: &'static str,
    events: Vec<Progress>,
}

#[derive(Clone, Serialize)]
struct ProgressEvent<'a> {
    operation: &'static str,
    progress: &'a Progress,
}

#[derive(Clone, Serialize)]
struct OperationEvent<'a> {
    operation: &'static str,
    phase: &'static str,
    duration_ms: Option<u64>,
    error: Option<&'a AppError>,
}

impl Hub {
    pub fn new(app: AppHandle, settings: Settings) -> Hub {
        Hub(Arc::new(Inner {
            app,
            settings: watch::Sender::new(settings),
            state: Mutex::new(Published::default()),
            on_view: OnceLock::new(),
        }))
    }

    /// Set once in setup, before any task can publish.
    pub fn on_view(&self, listener: ViewListener) {
        let _ = self.0.on_view.set(listener);
    }

    fn lock(&self) -> MutexGuard<'_, Published> {
        // The state is plain data: a panic elsewhere leaves it usable.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn settings(&self) -> Settings {
        self.0.settings.borrow().clone()
    }

    pub fn subscribe_settings(&self) -> watch::Receiver<Settings> {
        self.0.settings.subscribe()
    }

    /// Settings were read from or written to the file: follow them if they changed.
    pub fn settings_loaded(&self, settings: &Settings) {
        let changed = self.0.settings.send_if_modified(|current| {
            let changed = current != settings;
            if changed {
                *current = settings.clone();
            }
            changed
        });
        if changed {
            self.republish_view();
        }
    }

    pub fn status(&self) -> Option<Status> {
        self.lock().status.clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        let p = self.lock();
        Snapshot {
            status: p.status.clone(),
            view: Self::view_of(&p),
            operation: p.current.as_ref().map(|c| OperationView {
                name: c.op.name(),
                events: c.events.iter().cloned().collect(),
            }),
            last_error: p.last_error.clone(),
            notices: p.notices.clone(),
        }
    }

    /// What loading the settings changed in the file; the window shows it in the snapshot.
    pub fn set_notices(&self, notices: Vec<String>) {
        self.lock().notices = notices;
    }

    pub fn set_last_error(&self, error: AppError) {
        self.lock().last_error = Some(error);
    }

    /// The watcher saw a new status.
    pub fn publish_status(&self, status: Status) {
        tracing::info!(
            "status: {} (healthy {}, exit code {:?}, crashed {}, restarts {})",
            status.state.as_str(),
            status.healthy,
            status.exit_code,
            status.crashed,
            status.restart_count
        );
        let notice = {
            let mut p = self.lock();
            let notice = p.notifier.on_status(&status);
            p.status = Some(status.clone());
            self.publish_view(&mut p);
            notice
        };
        self.emit("status", &status);
        self.send(notice);
    }

    /// The watcher restarted on other settings: its first status is not a change.
    pub fn forget_status(&self) {
        self.lock().notifier.forget_status();
    }

    pub fn operation_started(&self, op: Operation) {
        tracing::info!("{} started", op.name());
        {
            let mut p = self.lock();
            p.current = Some(Current {
                op,
                events: VecDeque::new(),
                activity: Activity::new(op.activity()),
            });
            p.last_error = None;
            self.publish_view(&mut p);
        }
        self.emit(
            "operation",
            &OperationEvent {
                operation: op.name(),
                phase: "started",
                duration_ms: None,
                error: None,
            },
        );
    }

    /// One progress event: kept for the snapshot first, then emitted, so a window that asks for
    /// a snapshot in between sees it at most twice (the UI drops the overlap), never zero times.
    pub fn progress(&self, op: Operation, progress: Progress) {
        {
            let mut p = self.lock();
            if let Some(current) = p.current.as_mut().filter(|c| c.op == op) {
                if current.events.len() == SNAPSHOT_EVENTS {
                    current.events.pop_front();
                }
                current.events.push_back(progress.clone());
                current.activity.apply(&progress);
            }
            self.publish_view(&mut p);
        }
        self.emit(
            "progress",
            &ProgressEvent {
                operation: op.name(),
                progress: &progress,
            },
        );
    }

    pub fn operation_finished(
        &self,
        op: Operation,
        duration_ms: u64,
        result: &Result<(), AppError>,
    ) {
        match result {
            Ok(()) => tracing::info!("{} finished in {duration_ms} ms", op.name()),
            Err(e) => tracing::warn!("{} failed after {duration_ms} ms: {e}", op.name()),
        }
        let image = self.0.settings.borrow().image.clone();
        let notice = {
            let mut p = self.lock();
            p.current = None;
            p.last_error = result.as_ref().err().filter(|e| !e.is_cancelled()).cloned();
            self.publish_view(&mut p);
            notify::operation_notice(&Outcome {
                op,
                image: &image,
                duration_ms,
                result,
            })
        };
        self.emit(
            "operation",
            &OperationEvent {
                operation: op.name(),
                phase: if result.is_ok() { "finished" } else { "failed" },
                duration_ms: Some(duration_ms),
                error: result.as_ref().err(),
            },
        );
        self.send(notice);
    }

    fn republish_view(&self) {
        let mut p = self.lock();
        // Sent even when the view is the same: the tray's Quit item follows `stop_on_quit`.
        p.last_view = None;
        self.publish_view(&mut p);
    }

    /// Computes the status view from `p` and, when it changed, sends it to the window (event
    /// `view`) and the tray. Sending while the state is locked keeps them in state order.
    fn publish_view(&self, p: &mut Published) {
        let view = Self::view_of(p);
        if p.last_view.as_ref() == Some(&view) {
            return;
        }
        self.emit("view", &view);
        if let Some(listener) = self.0.on_view.get() {
            listener(&view, self.0.settings.borrow().stop_on_quit);
        }
        p.last_view = Some(view);
    }

    fn view_of(p: &Published) -> StatusView {
        status_view(p.status.as_ref(), p.current.as_ref().map(|c| &c.activity))
    }

    pub fn emit<S: Serialize + Clone>(&self, event: &str, payload: &S) {
        if let Err(e) = self.0.app.emit(event, payload) {
            tracing::warn!("could not emit {event}: {e}");
        }
    }

    fn send(&self, notice: Option<Notice>) {
        let Some(notice) = notice else { return };
        tracing::info!("notification: {} — {}", notice.title, notice.body);
        let shown = self
            .0
            .app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show();
        if let Err(e) = shown {
            tracing::warn!("could not show a notification: {e}");
        }
    }
}
