//! Leaving the app: Quit from the tray, or SIGTERM/SIGINT (logout, `kill`). Both stop the
//! container first when `stop_on_quit` says so, then exit with an explicit code, which is how the
//! run-event handler tells a quit from the last window closing.

use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::hub::Hub;
use crate::owner::OwnerHandle;

/// A quit never hangs on the engine longer than this (a graceful stop takes up to 10 s).
const QUIT_TIMEOUT: Duration = Duration::from_secs(30);

pub fn quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // What the tray's Quit item said is what happens.
        let stop = app.state::<Hub>().settings().stop_on_quit;
        let owner = app.state::<OwnerHandle>().inner().clone();
        if tokio::time::timeout(QUIT_TIMEOUT, owner.quit(stop))
            .await
            .is_err()
        {
            tracing::warn!("the container did not stop in time; quitting anyway");
        }
        app.exit(0);
    });
}

/// The first SIGTERM or SIGINT quits as the tray does; a second one exits at once.
#[cfg(unix)]
pub fn on_signals(app: &AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("could not listen for signals; they end the app abruptly");
            return;
        };
        let mut first = true;
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            if first {
                first = false;
                quit(&app);
            } else {
                app.exit(1);
            }
        }
    });
}

#[cfg(not(unix))]
pub fn on_signals(_app: &AppHandle) {}
