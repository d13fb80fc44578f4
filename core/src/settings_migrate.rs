//! Settings files written by earlier versions, brought up to date on load: the invented pull
//! sources are dropped, and a server password in `env` moves to its own file.

use crate::settings::PASSWORD_ENV;

/// Pull sources that earlier versions put in every settings file although nothing was ever
/// published there.
pub const RETIRED_SOURCES: [&str; 2] = [
    "ghcr.io/opencode-cloud/opencode-cloud:latest",
    "docker.io/opencodecloud/opencode-cloud:latest",
];

/// What a migration changed.
pub(crate) struct Migration {
    /// The file's new text.
    pub text: String,
    /// One sentence per change, for the user.
    pub notices: Vec<String>,
    /// A server password taken out of `env`, for the password file.
    pub password: Option<String>,
}

/// The file's text with retired values taken out, or `None` when there were none (or the text
/// is not a JSON object: that is reported by the parser, not migrated).
pub(crate) fn migrate(text: &str) -> Option<Migration> {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return None;
    };
    let mut notices = Vec::new();
    if let Some(serde_json::Value::Array(sources)) = map.get_mut("image_sources") {
        let before = sources.len();
        sources.retain(|s| !s.as_str().is_some_and(|s| RETIRED_SOURCES.contains(&s)));
        if sources.len() != before {
            notices.push(format!(
                "Removed {} from image_sources: nothing is published there. The image is built \
                 here unless you add a source of your own.",
                RETIRED_SOURCES.join(" and ")
            ));
        }
    }
    let mut password = None;
    if let Some(serde_json::Value::Array(env)) = map.get_mut("env") {
        let prefix = format!("{PASSWORD_ENV}=");
        env.retain(
            |entry| match entry.as_str().and_then(|e| e.strip_prefix(&prefix)) {
                Some(value) => {
                    password = Some(value.to_string());
                    false
                }
                None => true,
            },
        );
    }
    if notices.is_empty() && password.is_none() {
        return None;
    }
    Some(Migration {
        text: serde_json::to_string(&map).ok()?,
        notices,
        password,
    })
}
