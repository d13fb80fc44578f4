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
    // Read now: the password may have been renewed since the hub last loaded the settings.
    let settings = occ_core::SettingsFile::from_env().load()?;
    app.opener()
        .open_url(browser_url(&settings)?, None::<&str>)
        // The opener's error quotes the command it ran, URL and password included: say it in
        // our words, with the address only.
        .map_err(|_| {
            AppError::new(
                "open_browser",
                format!(
                    "Could not start a browser. Open {} yourself and log in as opencode with \
                     the password from Copy password.",
                    settings.url()
                ),
            )
        })
}

/// The address "Open in browser" opens: with the password, `http://opencode:<password>@host:port/`.
///
/// Why the user-info form and not opencode's `?auth_token=<base64 user:password>`: Chromium and
/// Firefox both take user-info credentials for the first request and keep them in their HTTP
/// auth cache for that origin, so the page's own later requests (fetch, event streams) are
/// authorised too; the query parameter authorises only the request that carries it (opencode
/// sets no cookie from it), so the page's API calls then fail with 401. Firefox asks once to
/// confirm the login. The password is base64url, so it needs no escaping in the URL.
pub fn browser_url(settings: &occ_core::Settings) -> Result<String, AppError> {
    Ok(match settings.required_credentials()? {
        Some(credentials) => credentials.url_with_login(&settings.url()),
        None => settings.url(),
    })
}

/// Puts the password on the clipboard, from Rust: it never enters the window's DOM.
pub fn copy_password(app: &AppHandle) -> Result<(), AppError> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let settings = occ_core::SettingsFile::from_env().load()?;
    let Some(credentials) = settings.required_credentials()? else {
        return Err(AppError::new(
            "no_password",
            "The server asks for no password: require_password is off.",
        ));
    };
    app.clipboard()
        .write_text(credentials.password().to_string())
        .map_err(|_| {
            // The plugin's error may quote what it was given: say it in our words only.
            AppError::new(
                "clipboard",
                "Could not put the password on the clipboard: no clipboard is available.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_url_carries_the_login_when_a_password_is_required() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = occ_core::SettingsFile::at(dir.path().join("settings.json"));
        let settings = file.load().expect("defaults with a new password");
        let password = settings
            .credentials()
            .expect("created")
            .password()
            .to_string();
        assert_eq!(
            browser_url(&settings).expect("url"),
            format!("http://opencode:{password}@127.0.0.1:3000/")
        );
        let open = occ_core::Settings {
            require_password: false,
            ..settings.clone()
        };
        assert_eq!(browser_url(&open).expect("url"), "http://127.0.0.1:3000/");
        let by_hand = occ_core::Settings::default();
        assert_eq!(
            browser_url(&by_hand).expect_err("no password").kind,
            "settings"
        );
    }
}
