//! Where the container engine is, found the way the docker CLI finds it (its code in
//! `cli/command/cli.go`, not its docs), then the well-known sockets of the engines people run.
//!
//! Order: the `engine` setting (an endpoint URL or a context name; `auto` skips it), `DOCKER_HOST`,
//! `DOCKER_CONTEXT`, `currentContext` in `$DOCKER_CONFIG/config.json` (default `~/.docker`). The
//! first of these that is set is the only candidate, as with the docker CLI: the user chose it.
//! With none set, the platform's default socket, then Docker Desktop, rootless Docker, Podman,
//! Colima, OrbStack and Rancher Desktop, each pinged before use by [`crate::client`].
//!
//! [`resolve`] is pure over an [`Env`] (home, variables, platform), so every platform's table is
//! tested here with temporary folders.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The `engine` setting's value that asks for discovery.
pub const AUTO: &str = "auto";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Linux,
    MacOs,
    Windows,
}

impl Platform {
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// What discovery reads of the machine, injected so tests can stage any platform.
#[derive(Debug, Clone)]
pub struct Env {
    pub platform: Platform,
    pub home: Option<PathBuf>,
    pub vars: HashMap<String, String>,
}

/// The variables discovery reads.
const VARS: &[&str] = &[
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "COLIMA_HOME",
    "TMPDIR",
];

impl Env {
    /// This process's environment.
    pub fn current() -> Env {
        Env {
            platform: Platform::current(),
            home: dirs::home_dir(),
            vars: VARS
                .iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
                .collect(),
        }
    }

    fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn home_join(&self, rel: &str) -> Option<PathBuf> {
        self.home.as_ref().map(|h| h.join(rel))
    }

    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub fn docker_config_dir(&self) -> Option<PathBuf> {
        self.var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| self.home_join(".docker"))
    }
}

/// Where an endpoint came from, in words for "Podman 4.3 at …, from context podman".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// The `engine` setting holds the endpoint.
    Setting,
    /// The `engine` setting names this docker context.
    SettingContext(String),
    DockerHost,
    /// `DOCKER_CONTEXT` names this context.
    DockerContext(String),
    /// The docker CLI's current context (`docker context use`).
    CurrentContext(String),
    PlatformDefault,
    /// The socket an engine of this name makes by default.
    WellKnown(String),
    /// Handed to the library by its caller.
    Given,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Setting => write!(f, "from the `engine` setting"),
            Source::SettingContext(n) => write!(f, "from context {n} (the `engine` setting)"),
            Source::DockerHost => write!(f, "from DOCKER_HOST"),
            Source::DockerContext(n) => write!(f, "from context {n} (DOCKER_CONTEXT)"),
            Source::CurrentContext(n) => write!(f, "from context {n}"),
            Source::PlatformDefault => write!(f, "the default socket"),
            Source::WellKnown(what) => write!(f, "{what}'s socket"),
            Source::Given => write!(f, "as given"),
        }
    }
}

/// One place an engine may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub endpoint: String,
    pub source: Source,
    /// The context's TLS folder (`ca.pem`, `cert.pem`, `key.pem`), when it has one.
    pub tls: Option<PathBuf>,
}

impl Candidate {
    fn new(endpoint: impl Into<String>, source: Source) -> Candidate {
        Candidate {
            endpoint: endpoint.into(),
            source,
            tls: None,
        }
    }

    fn socket(path: &Path, source: Source) -> Candidate {
        Candidate::new(format!("unix://{}", path.display()), source)
    }

    /// The socket file of a `unix://` endpoint.
    pub fn socket_path(&self) -> Option<PathBuf> {
        socket_path(&self.endpoint)
    }
}

/// The socket file of a `unix://` endpoint.
pub fn socket_path(endpoint: &str) -> Option<PathBuf> {
    endpoint
        .strip_prefix("unix://")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Whether `value` is an endpoint URL rather than a context name.
pub fn is_endpoint(value: &str) -> bool {
    value.contains("://")
}

/// The candidates, in the order they are to be tried. An explicit choice (setting, variable,
/// context) is the only one; otherwise the platform's table.
pub fn resolve(setting: &str, env: &Env) -> Result<Vec<Candidate>> {
    let setting = setting.trim();
    if !setting.is_empty() && setting != AUTO {
        if is_endpoint(setting) {
            return Ok(vec![Candidate::new(setting, Source::Setting)]);
        }
        return from_context(setting, Source::SettingContext(setting.into()), env);
    }
    if let Some(host) = env.var("DOCKER_HOST") {
        return Ok(vec![Candidate::new(host, Source::DockerHost)]);
    }
    if let Some(name) = env.var("DOCKER_CONTEXT") {
        return from_context(name, Source::DockerContext(name.into()), env);
    }
    if let Some(name) = current_context(env)? {
        return from_context(&name, Source::CurrentContext(name.clone()), env);
    }
    Ok(table(env))
}

/// `currentContext` of the docker CLI's `config.json`; `None` without the file or the key.
fn current_context(env: &Env) -> Result<Option<String>> {
    let Some(path) = env.docker_config_dir().map(|d| d.join("config.json")) else {
        return Ok(None);
    };
    // A file we cannot read (missing, or a home we may not enter) is no choice, as for the
    // docker CLI, which warns and goes on with its defaults.
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| docker_config_error(&path, e.to_string()))?;
    Ok(value
        .get("currentContext")
        .and_then(|c| c.as_str())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string))
}

fn docker_config_error(path: &Path, reason: String) -> Error {
    Error::DockerConfig {
        path: path.to_path_buf(),
        reason,
    }
}

/// The folder name the docker CLI stores a context under: the SHA-256 of its name, in hex.
pub fn context_id(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A context's docker endpoint. The context `default` is the platform's table.
fn from_context(name: &str, source: Source, env: &Env) -> Result<Vec<Candidate>> {
    if name == "default" {
        return Ok(table(env));
    }
    let missing = |path: PathBuf, reason: String| Error::DockerContext {
        name: name.to_string(),
        origin: source.to_string(),
        path,
        reason,
    };
    let Some(dir) = env.docker_config_dir() else {
        return Err(missing(
            PathBuf::from("~/.docker"),
            "there is no home folder to find it in".into(),
        ));
    };
    let id = context_id(name);
    let meta = dir
        .join("contexts")
        .join("meta")
        .join(&id)
        .join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            "it does not exist (no such file)".to_string()
        } else {
            e.to_string()
        };
        missing(meta.clone(), reason)
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| missing(meta.clone(), e.to_string()))?;
    let host = value
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            missing(
                meta.clone(),
                "it has no docker endpoint (Endpoints.docker.Host)".into(),
            )
        })?;
    let tls = dir.join("contexts").join("tls").join(&id).join("docker");
    let mut candidate = Candidate::new(host, source);
    candidate.tls = tls.is_dir().then_some(tls);
    Ok(vec![candidate])
}

mod table;
pub use table::table;

#[cfg(test)]
mod tests;
