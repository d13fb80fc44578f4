//! What the tray and the window's commands both do, once: the layer between them and the owner
//! and hub (clash-verge-rev's `cmd → feat → core`), so neither front end calls the other.

use tauri::{AppHandle, Manager};
use tauri_plugin_opener::OpenerExt;

use crate::error::AppError;
use crate::hub::Hub;
use crate::operation::Operation;
use crate::owner::OwnerHandle;

/// Starts `op` in a task and returns at once (menu handlers never block). The outcome reaches
/// the person as an `operation` event and, if it failed, a notification.
pub fn spawn(app: &AppHandle, op: Operation) {
    let owner = app.state::<OwnerHandle>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let _ = owner.run(op).await;
    });
}

/// Start when the container is down, Stop when it is up or on its way up.
pub fn toggle(app: &AppHandle) {
    let active = app.state::<Hub>().status().is_some_and(|s| s.is_active());
    spawn(
        app,
        if active {
            Operation::Stop
        } else {
            Operation::Start
        },
    );
}

/// Opens the app's own URL, and only when the service answers there.
pub fn open_browser(app: &AppHandle) -> Result<(), AppError> {
    let hub = app.state::<Hub>();
    match hub.status() {
        Some(s) if s.is_ready() => {}
        Some(s) if s.is_active() => {
            return Err(AppError::new(
                "not_ready",
                "opencode is still starting: wait until it is ready, then open it.",
            ))
        }
        _ => {
            return Err(AppError::new(
                "not_running",
                "opencode is not running: start it first.",
            ))
        }
    }
    app.opener()
        .open_url(hub.settings().url(), None::<&str>)
        .map_err(AppError::from)
}
