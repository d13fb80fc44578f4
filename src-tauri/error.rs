//! The app's error, as the window receives it: `{ "kind": "snake_case", "message": "…" }`.
//! User-facing words come from the core's `Display` (one place); the few errors that only the
//! app can produce (busy, not running, bad arguments) are worded here.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: String,
    pub message: String,
    /// The setting a settings error is about, so the window can mark that field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl AppError {
    pub fn new(kind: &str, message: impl Into<String>) -> AppError {
        AppError {
            kind: kind.to_string(),
            message: message.into(),
            key: None,
        }
    }

    /// Another operation runs; `activity` is its verb, e.g. "starting".
    pub fn busy(activity: &str) -> AppError {
        AppError::new(
            "busy",
            format!("Already {activity}: wait for it to finish."),
        )
    }

    /// The running operation was dropped because the app is quitting.
    pub fn cancelled() -> AppError {
        AppError::new("cancelled", "Cancelled because the app is quitting.")
    }

    pub fn invalid_argument(message: impl Into<String>) -> AppError {
        AppError::new("invalid_argument", message)
    }

    /// The owner task is gone, which only happens while the app shuts down.
    pub fn shutting_down() -> AppError {
        AppError::new("shutting_down", "The app is shutting down.")
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == "cancelled"
    }
}

impl From<occ_core::Error> for AppError {
    fn from(err: occ_core::Error) -> AppError {
        AppError::new(err.kind(), err.to_string())
    }
}

impl From<occ_core::settings::SettingsError> for AppError {
    fn from(err: occ_core::settings::SettingsError) -> AppError {
        // The same kind the core gives a settings error, so the UI sees one name for it.
        let key = err.key().map(str::to_string);
        AppError {
            key,
            ..occ_core::Error::Settings(err).into()
        }
    }
}

impl From<tauri_plugin_opener::Error> for AppError {
    fn from(err: tauri_plugin_opener::Error) -> AppError {
        AppError::new("opener", format!("Could not open the browser: {err}"))
    }
}

impl From<tauri_plugin_autostart::Error> for AppError {
    fn from(err: tauri_plugin_autostart::Error) -> AppError {
        AppError::new(
            "autostart",
            format!("The settings were saved, but starting at login could not be changed: {err}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_kind_and_message() {
        let json = serde_json::to_value(AppError::busy("starting")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"kind": "busy", "message": "Already starting: wait for it to finish."})
        );
    }

    #[test]
    fn core_errors_keep_their_kind_and_words() {
        let core = occ_core::Error::ImageMissing {
            image: "x:1".into(),
        };
        let text = core.to_string();
        let err = AppError::from(core);
        assert_eq!(err.kind, "image_missing");
        assert_eq!(err.message, text);
    }

    #[test]
    fn settings_errors_are_kind_settings() {
        let err = AppError::from(occ_core::settings::SettingsError::Invalid {
            key: "port".into(),
            reason: "must be between 1 and 65535".into(),
        });
        assert_eq!(err.kind, "settings");
        assert!(err.message.contains("`port`"), "{}", err.message);
        assert_eq!(err.key.as_deref(), Some("port"));
    }
}
