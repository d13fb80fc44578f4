//! `settings.json`: what instance to run and how. Shared by the CLI and the app; validated on
//! every load and save; a file that fails to load is reported and never overwritten.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::credentials::{self, Credentials};
use crate::mounts::FolderMount;

/// The environment variable that moves the settings folder (tests use it for isolation).
pub const CONFIG_DIR_ENV: &str = "OPENCODE_CLOUD_CONFIG_DIR";
pub const FILE_NAME: &str = "settings.json";
/// opencode turns on HTTP basic auth when this is set in its environment.
pub const PASSWORD_ENV: &str = "OPENCODE_SERVER_PASSWORD";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error(
        "The settings file {} is not valid at line {line}, column {column}: {message}. Fix it or \
         delete it; it was left as it is.", path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("Setting `{key}` {reason}.")]
    Invalid { key: String, reason: String },
    #[error("Could not {action} the settings file {}: {message}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsError),
    /// `require_password` is on but these settings were not loaded with their password (a
    /// program built them by hand): nothing starts without it.
    #[error(
        "No server password is loaded although `require_password` is on; load the settings with \
         SettingsFile::load, which creates the password file on first use."
    )]
    NoPassword,
}

impl SettingsError {
    /// The setting the error is about, when it is about one (for the window's field).
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageMode {
    /// Pull the prebuilt image from `image_sources`.
    Pull,
    /// Build it from the embedded Dockerfile (or `build_context`).
    Build,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Prefix of the container and volume names.
    pub instance: String,
    pub port: u16,
    pub bind_address: IpAddr,
    /// The one local image name the container runs, whatever source provided it.
    pub image: String,
    /// Where to pull from, in order.
    pub image_sources: Vec<String>,
    pub image_mode: ImageMode,
    /// A folder with a Dockerfile to build instead of the embedded one.
    pub build_context: Option<PathBuf>,
    /// Build arguments for the build (a mirror, a base image, a release location); changing them
    /// rebuilds the image.
    pub build_args: crate::build::BuildArgs,
    /// Extra `KEY=value` variables for the container.
    pub env: Vec<String>,
    /// Whether quitting the app also stops the container.
    pub stop_on_quit: bool,
    pub start_at_login: bool,
    /// Host folders mounted into the container (see [`crate::mounts`]).
    pub mounts: Vec<FolderMount>,
    /// Which engine: `auto` (find it as the docker CLI does), an endpoint URL such as
    /// `unix:///run/podman/podman.sock`, or a docker context name.
    pub engine: String,
    /// Whether opencode asks for the password in `<config dir>/server-password`. Off only on a
    /// loopback `bind_address`.
    pub require_password: bool,
    /// The password, read from its own file by [`SettingsFile::load`]; never serialized.
    #[serde(skip)]
    pub credentials: Option<Credentials>,
    /// Why the password file could not be read or created, said when the password is needed
    /// (a start), not by commands that do without it (status, logs, config).
    #[serde(skip)]
    pub credentials_error: Option<credentials::CredentialsError>,
    /// The container's memory limit ("4g", "512m", "unlimited"); unset: three quarters of the
    /// engine's memory (see `sandbox`).
    pub memory: Option<String>,
    /// How many CPUs the container may use; unset: no limit.
    pub cpus: Option<crate::sandbox::Cpus>,
    /// How many processes the container may run at once.
    pub pids: u32,
    /// A container runtime the engine offers (gVisor's `runsc`, Kata); unset: the engine's default.
    pub runtime: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            instance: "opencode-cloud".into(),
            port: 3000,
            bind_address: IpAddr::from([127, 0, 0, 1]),
            image: "opencode-cloud:local".into(),
            // Nothing is published under a name we could default to: build here unless the user
            // names a source (their own mirror or registry).
            image_sources: Vec::new(),
            image_mode: ImageMode::Build,
            build_context: None,
            build_args: Default::default(),
            env: Vec::new(),
            stop_on_quit: false,
            start_at_login: false,
            mounts: Vec::new(),
            engine: crate::discovery::AUTO.into(),
            require_password: true,
            credentials: None,
            credentials_error: None,
            memory: None,
            cpus: None,
            pids: crate::sandbox::DEFAULT_PIDS,
            runtime: None,
        }
    }
}

fn invalid(key: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Checks what serde's types cannot; the error names the key and the reason.
    pub fn validate(&self) -> Result<(), SettingsError> {
        validate_name(&self.instance).map_err(|r| invalid("instance", r))?;
        if self.port == 0 {
            return Err(invalid(
                "port",
                "must be a whole number from 1 to 65535, not 0",
            ));
        }
        crate::reference::validate(&self.image).map_err(|r| invalid("image", r))?;
        for source in &self.image_sources {
            crate::reference::validate(source)
                .map_err(|r| invalid("image_sources", format!("entry {source:?} {r}")))?;
        }
        crate::build::validate_args(&self.build_args, self.build_context.is_none())
            .map_err(|r| invalid("build_args", r))?;
        for entry in &self.env {
            validate_env_entry(entry).map_err(|r| invalid("env", r))?;
        }
        validate_engine(&self.engine).map_err(|r| invalid("engine", r))?;
        crate::sandbox::validate(self)?;
        if !self.bind_address.is_loopback() && !self.require_password {
            return Err(invalid(
                "require_password",
                format!(
                    "can be false only with a loopback bind_address such as 127.0.0.1: {} makes \
                     the session reachable from the network",
                    self.bind_address
                ),
            ));
        }
        crate::mounts::validate(&self.mounts, &self.engine).map_err(|r| invalid("mounts", r))?;
        Ok(())
    }

    /// The container's name.
    pub fn container_name(&self) -> String {
        self.instance.clone()
    }

    /// The three named volumes and where they are mounted, in a fixed order.
    pub fn volumes(&self) -> [(String, &'static str); 3] {
        [
            (
                format!("{}-session", self.instance),
                "/home/opencode/.local/share/opencode",
            ),
            (
                format!("{}-projects", self.instance),
                "/home/opencode/workspace",
            ),
            (
                format!("{}-config", self.instance),
                "/home/opencode/.config/opencode",
            ),
        ]
    }

    /// The address a browser on this machine opens.
    pub fn url(&self) -> String {
        let host = match self.bind_address {
            IpAddr::V4(a) if a.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(a) if a.is_unspecified() => "[::1]".to_string(),
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => format!("[{a}]"),
        };
        format!("http://{host}:{}/", self.port)
    }

    /// The server password loaded with these settings (none when built by hand or when
    /// `require_password` is off).
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// These settings with `credentials` as their password.
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Settings {
        self.credentials = credentials;
        self
    }

    /// The password the container must get: `None` when `require_password` is off; an error
    /// when it is on and none was loaded, so nothing ever starts unprotected by mistake.
    pub fn required_credentials(&self) -> Result<Option<&Credentials>, SettingsError> {
        match (
            self.require_password,
            &self.credentials,
            &self.credentials_error,
        ) {
            (false, _, _) => Ok(None),
            (true, Some(c), _) => Ok(Some(c)),
            (true, None, Some(e)) => Err(e.clone().into()),
            (true, None, None) => Err(SettingsError::NoPassword),
        }
    }

    /// Parses and validates settings from JSON text; `path` is only used in messages.
    pub fn from_json(text: &str, path: &Path) -> Result<Settings, SettingsError> {
        let parse_error = |e: serde_json::Error| SettingsError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        };
        // A first pass for the syntax and the shape: serde would also build the struct from a
        // JSON array, field by field in order, which no one writes on purpose.
        let value: serde_json::Value = serde_json::from_str(text).map_err(parse_error)?;
        if !value.is_object() {
            return Err(SettingsError::Parse {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!(
                    "it holds {}, where an object such as {{\"port\": 3000}} belongs",
                    json_kind(&value)
                ),
            });
        }
        // The second pass reads the text itself, so a key given twice is still an error.
        let mut de = serde_json::Deserializer::from_str(text);
        let settings: Settings = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            // The syntax is fine (first pass), so an error under a key is about its value, even
            // where serde_json calls it a syntax error (an enum given a number).
            match e.path().iter().next() {
                Some(serde_path_to_error::Segment::Map { key }) => {
                    data_error(key, &e.inner().to_string(), &value)
                }
                _ => parse_error(e.into_inner()),
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// The value of one key, as JSON.
    pub fn get(&self, key: &str) -> Result<serde_json::Value, SettingsError> {
        let value = serde_json::to_value(self).map_err(|e| invalid(key, e.to_string()))?;
        value
            .get(key)
            .cloned()
            .ok_or_else(|| invalid(key, unknown_key_reason()))
    }

    /// A copy with `key` set from the text a user typed: JSON when it parses as JSON, else a string.
    pub fn with(&self, key: &str, text: &str) -> Result<Settings, SettingsError> {
        let mut value = serde_json::to_value(self).map_err(|e| invalid(key, e.to_string()))?;
        let map = value
            .as_object_mut()
            .ok_or_else(|| invalid(key, "cannot be set"))?;
        if !map.contains_key(key) {
            return Err(invalid(key, unknown_key_reason()));
        }
        let parsed = serde_json::from_str(text)
            .unwrap_or_else(|_| serde_json::Value::String(text.to_string()));
        map.insert(key.to_string(), parsed);
        let updated: Settings = serde_path_to_error::deserialize(value.clone())
            .map_err(|e| data_error(key, &e.into_inner().to_string(), &value))?;
        updated.validate()?;
        Ok(Settings {
            credentials: self.credentials.clone(),
            credentials_error: self.credentials_error.clone(),
            ..updated
        })
    }
}

/// What each setting holds, in words, for a value of the wrong type or out of range.
fn expected(key: &str) -> Option<&'static str> {
    Some(match key {
        "instance" => "a name such as \"opencode-cloud\"",
        "port" => "a whole number from 1 to 65535",
        "bind_address" => {
            "an IP address such as 127.0.0.1 (this computer only) or 0.0.0.0 (every network)"
        }
        "image" => "an image name such as \"opencode-cloud:local\"",
        "image_sources" => "a list of image names such as [\"ghcr.io/owner/name:latest\"]",
        "image_mode" => "\"pull\" or \"build\"",
        "build_context" => "the path of a folder with a Dockerfile, or null",
        "build_args" => "an object of texts such as {\"BASE_IMAGE\": \"ubuntu:24.04\"}",
        "env" => "a list of \"KEY=value\" texts such as [\"TZ=Europe/Berlin\"]",
        "mounts" => {
            "a list of folders such as [{\"host\": \"/home/you/project\", \"read_only\": false}] \
             (add them with `occ mount add`)"
        }
        "engine" => "\"auto\", an endpoint such as \"unix:///run/podman/podman.sock\", or a docker context name",
        "stop_on_quit" | "start_at_login" | "require_password" => "true or false",
        "memory" => {
            "a size such as \"4g\" or \"512m\", \"unlimited\", or null for three quarters of \
             the memory Docker has"
        }
        "cpus" => "a number of CPUs such as 2.5, or null for no limit",
        "pids" => "a whole number of processes from 64 to 4194304",
        "runtime" => "the name of a runtime Docker offers such as \"runsc\", or null",
        _ => return None,
    })
}

/// A value serde refused under the top-level `key`, in words: what the key takes and what it
/// got. `env` is never quoted back, as it may hold the server password.
fn data_error(key: &str, serde_message: &str, document: &serde_json::Value) -> SettingsError {
    if serde_message.starts_with("unknown field") {
        // An empty key would vanish between the backquotes of the message.
        return invalid(
            if key.is_empty() { "\"\"" } else { key },
            unknown_key_reason(),
        );
    }
    let Some(what) = expected(key) else {
        return invalid(key, strip_position(serde_message));
    };
    let got = match document.get(key) {
        Some(value) if key != "env" => {
            let mut text = value.to_string();
            if text.chars().count() > 60 {
                text = text.chars().take(60).collect::<String>() + "…";
            }
            format!(", not {text}")
        }
        _ => String::new(),
    };
    invalid(key, format!("must be {what}{got}"))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true or false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

fn unknown_key_reason() -> String {
    let keys: Vec<String> = serde_json::to_value(Settings::default())
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    format!("is not a setting; the settings are {}", keys.join(", "))
}

/// serde_json appends " at line L column C"; our messages say where on their own.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Docker's rule for container and volume names.
fn validate_name(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "is {name:?}; use 1–64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        ))
    }
}

/// `auto`, an endpoint URL of a scheme we speak, or a name as `docker context create` allows.
fn validate_engine(engine: &str) -> Result<(), String> {
    const SCHEMES: &[&str] = &["unix://", "tcp://", "http://", "npipe://"];
    if crate::discovery::is_endpoint(engine) {
        let scheme_ok = SCHEMES.iter().any(|s| engine.starts_with(s));
        if !scheme_ok || SCHEMES.contains(&engine) {
            return Err(format!(
                "is {engine:?}; an endpoint is unix:///path/to/docker.sock, tcp://host:port or \
                 npipe:////./pipe/name"
            ));
        }
        return Ok(());
    }
    let mut chars = engine.chars();
    let name_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if !name_ok {
        return Err(format!(
            "is {engine:?}; it takes \"auto\", an endpoint such as unix:///run/podman/podman.sock, \
             or a docker context name (`docker context ls`)"
        ));
    }
    Ok(())
}

fn validate_env_entry(entry: &str) -> Result<(), String> {
    let Some((key, _)) = entry.split_once('=') else {
        // Quote only the name-like start: the rest may be a secret typed with another separator.
        let start: String = entry
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return Err(if start.len() == entry.len() {
            format!("entry {entry:?} has no '='; write KEY=value")
        } else {
            format!("entry starting {start:?} has no '='; write KEY=value")
        });
    };
    if entry.contains(['\n', '\r', '\0']) {
        return Err(format!("entry for {key:?} contains a line break or NUL"));
    }
    let key_ok = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if key == PASSWORD_ENV || key == crate::credentials::USERNAME_ENV {
        return Err(format!(
            "must not set {key}: the server password lives in its own file, {}, which \
             `occ credentials` shows and `occ credentials --rotate` renews",
            crate::credentials::FILE_NAME
        ));
    }
    if key_ok {
        Ok(())
    } else {
        Err(format!(
            "entry has the name {key:?}; names are letters, digits and '_', not starting with a digit"
        ))
    }
}

/// The folder that holds `settings.json`.
pub fn config_dir() -> PathBuf {
    match std::env::var_os(CONFIG_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("opencode-cloud"),
    }
}

/// Where the settings live: a file path plus load and save.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// The file in [`config_dir`].
    pub fn from_env() -> SettingsFile {
        SettingsFile::at(config_dir().join(FILE_NAME))
    }

    pub fn at(path: PathBuf) -> SettingsFile {
        SettingsFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in the file, or the defaults when there is no file yet. Migrates the file
    /// first (see [`SettingsFile::load_migrating`]); what it says about that is dropped here.
    pub fn load(&self) -> Result<Settings, SettingsError> {
        self.load_migrating().map(|(settings, _)| settings)
    }

    /// Like [`SettingsFile::load`], and also returns one sentence per change made to the file
    /// on the way (see [`crate::settings_migrate`]). The file is saved right after, so each
    /// sentence is said once. With `require_password` on, the password is loaded too, and
    /// generated into its own file on first use.
    pub fn load_migrating(&self) -> Result<(Settings, Vec<String>), SettingsError> {
        let (settings, notices) = self.load_file()?;
        if !settings.require_password {
            return Ok((settings, notices));
        }
        Ok(match credentials::load_or_create(self.dir()) {
            Ok(c) => (settings.with_credentials(Some(c)), notices),
            Err(e) => (
                Settings {
                    credentials_error: Some(e),
                    ..settings
                },
                notices,
            ),
        })
    }

    /// The folder that holds the settings file and the password file.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn load_file(&self) -> Result<(Settings, Vec<String>), SettingsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Settings::default(), Vec::new()))
            }
            Err(e) => return Err(self.io_error("read", e)),
        };
        let Some(migration) = crate::settings_migrate::migrate(&text) else {
            return Settings::from_json(&text, &self.path).map(|s| (s, Vec::new()));
        };
        // A file that is broken for another reason (a key given twice) is reported as it is,
        // and not rewritten.
        if let Err(e @ SettingsError::Parse { .. }) = Settings::from_json(&text, &self.path) {
            return Err(e);
        }
        let settings = Settings::from_json(&migration.text, &self.path)?;
        let mut notices = migration.notices;
        if let Some(password) = &migration.password {
            let path = credentials::path_in(self.dir());
            notices.push(if credentials::adopt(self.dir(), password)? {
                format!(
                    "Moved the server password from env in settings.json to {} (readable only \
                     by you); `occ credentials` shows it.",
                    path.display()
                )
            } else {
                format!(
                    "Removed the server password from env in settings.json: the one in {} is \
                     used.",
                    path.display()
                )
            });
        }
        self.save(&settings)?;
        Ok((settings, notices))
    }

    /// Validates, then replaces the file atomically (write a sibling, then rename).
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        settings.validate()?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io_error("create the folder of", e))?;
        let mut text = serde_json::to_string_pretty(settings)
            .map_err(|e| self.io_error("encode", e.into()))?;
        text.push('\n');
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| self.io_error("write", e))
    }

    fn io_error(&self, action: &'static str, e: std::io::Error) -> SettingsError {
        SettingsError::Io {
            action,
            path: self.path.clone(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::from_json(text, Path::new("/x/settings.json"))
    }

    #[test]
    fn empty_object_gives_defaults() {
        assert_eq!(parse("{}"), Ok(Settings::default()));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (r#"{"port": 70000}"#, "port"),
            (r#"{"port": "x"}"#, "port"),
            (r#"{"port": 0}"#, "port"),
            (r#"{"bind_address": "localhost"}"#, "bind_address"),
            (r#"{"image": "My Image"}"#, "image"),
            (r#"{"env": ["NOEQUALS"]}"#, "env"),
            (r#"{"env": ["A=b\nc"]}"#, "env"),
            (r#"{"image_mode": "fetch"}"#, "image_mode"),
            (r#"{"instance": "has space"}"#, "instance"),
            (r#"{"mounts": [{"host": "relative"}]}"#, "mounts"),
            (r#"{"mounts": [{"host": "/etc"}]}"#, "mounts"),
            (r#"{"mounts": [{"hots": "/srv/x"}]}"#, "mounts"),
            (
                r#"{"bind_address": "0.0.0.0", "require_password": false}"#,
                "require_password",
            ),
            (r#"{"env": ["OPENCODE_SERVER_PASSWORD=x"]}"#, "env"),
        ];
        for (text, key) in cases {
            match parse(text) {
                Err(SettingsError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_key_is_rejected() {
        let err = parse(r#"{"prot": 3000}"#).expect_err("unknown key");
        assert!(err.to_string().contains("prot"), "{err}");
    }

    #[test]
    fn broken_json_gives_line_and_column() {
        match parse("{\n  \"port\": 3000,\n  oops\n}") {
            Err(SettingsError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_an_object_is_settings() {
        // serde alone would read a list as the fields in order.
        for text in ["[]", r#"["x", 3001]"#, "3000", "null"] {
            match parse(text) {
                Err(SettingsError::Parse { message, .. }) => {
                    assert!(message.contains("an object"), "{text}: {message}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_the_key_takes() {
        let cases = [
            (
                r#"{"image_mode": 1}"#,
                "image_mode",
                r#""pull" or "build", not 1"#,
            ),
            (r#"{"port": 70000}"#, "port", "from 1 to 65535, not 70000"),
            (r#"{"port": "x"}"#, "port", r#"from 1 to 65535, not "x""#),
            (
                r#"{"bind_address": "localhost"}"#,
                "bind_address",
                "an IP address",
            ),
            (
                r#"{"stop_on_quit": "yes"}"#,
                "stop_on_quit",
                "true or false",
            ),
            (r#"{"a.b": 1}"#, "a.b", "is not a setting"),
            (r#"{"": 1}"#, "\"\"", "is not a setting"),
        ];
        for (text, key, says) in cases {
            match parse(text) {
                Err(SettingsError::Invalid { key: k, reason }) => {
                    assert_eq!(k, key, "{text}");
                    assert!(reason.contains(says), "{text}: {reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn env_values_are_never_quoted_back() {
        let errors = [
            parse(r#"{"env": "OPENCODE_SERVER_PASSWORD=s3cret"}"#),
            parse(r#"{"env": ["OPENCODE_SERVER_PASSWORD:s3cret"]}"#),
            Settings::default().with("env", "OPENCODE_SERVER_PASSWORD=s3cret"),
        ];
        for err in errors {
            let err = err.expect_err("refused");
            assert!(err.to_string().contains("`env`"), "{err}");
            assert!(!format!("{err} {err:?}").contains("s3cret"), "{err:?}");
        }
    }

    #[test]
    fn network_bind_needs_the_password_on() {
        let ok = parse(r#"{"bind_address": "0.0.0.0"}"#).expect("valid");
        assert!(ok.require_password);
        assert_eq!(ok.url(), "http://127.0.0.1:3000/");
        let off = parse(r#"{"require_password": false}"#).expect("loopback may go without");
        assert_eq!(off.required_credentials(), Ok(None));
        assert_eq!(
            Settings::default().required_credentials(),
            Err(SettingsError::NoPassword)
        );
    }

    #[test]
    fn with_parses_json_or_string() {
        let s = Settings::default();
        assert_eq!(s.with("port", "3001").map(|s| s.port), Ok(3001));
        assert_eq!(
            s.with("image", "foo/bar:1").map(|s| s.image),
            Ok("foo/bar:1".to_string())
        );
        assert!(s.with("port", "70000").is_err());
        assert!(s.with("nope", "1").is_err());
    }
}
