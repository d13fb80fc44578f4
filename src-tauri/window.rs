//! The one window, created on demand. Closing it destroys it (and its webview), so an app that
//! lives in the tray holds no web content; showing it again builds a fresh one.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Shows and focuses the window, building it if it does not exist.
pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("opencode-cloud")
        .inner_size(480.0, 680.0)
        .min_inner_size(360.0, 420.0)
        .build();
    if let Err(e) = built {
        tracing::warn!("could not open the window: {e}");
    }
}

/// [`show`] from a task: building a window inside a menu or plugin callback can deadlock on
/// Windows, and the callback must return at once anyway.
pub fn show_later(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { show(&app) });
}

/// Autostart passes `--minimized`: start in the tray without a window.
pub fn started_minimized() -> bool {
    std::env::args().skip(1).any(|a| a == "--minimized")
}
