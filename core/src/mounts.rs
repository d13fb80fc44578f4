//! Host folders mounted into the sandbox: the `mounts` setting. A mount is the one place the
//! container touches the person's own files, so what would hurt is refused before anything is
//! saved or created: the error names the entry and says why.
//!
//! The checks come in two kinds. [`validate`] looks only at the paths (run on every load and
//! save, so a hand-edited file is held to the same rules); [`check_host`] looks at the folder
//! itself (it exists, it is a folder, where it really leads) and runs when a mount is added and
//! again before the container is created, as a folder can vanish in between.
//!
//! Characters: the container is created through the engine's Mounts API (JSON fields, not the
//! `-v host:container` text of Binds), which carries `:` and `,` and even line breaks as they are
//! (checked against Docker 20.10). What is refused is ours to refuse: control characters (a line
//! break in a path cannot be shown in a list or typed back, and is nearly always a paste
//! mistake), and paths that are not UTF-8, which `settings.json` cannot hold.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::settings::{Settings, SettingsError};

/// Where host folders go inside the container; also the projects volume's mount point.
pub const WORKSPACE: &str = "/home/opencode/workspace";

/// How many files and folders a mounted folder may hold before `add` warns.
pub const LARGE_FOLDER_ENTRIES: usize = 50_000;

/// Folders that hold the system, never a person's project: refused, and so is anything inside.
const SYSTEM_TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/lib",
    "/var/log",
    "/var/run",
    "/System",
    "/Library",
    "/private/etc",
    "/private/var/run",
];

/// Folders refused themselves (they hold everyone's or everything's folders), whose subfolders
/// may be a project (`/srv/site`, `/tmp/scratch`, `/Volumes/Disk/code`).
const SYSTEM_FOLDERS: &[&str] = &[
    "/home",
    "/media",
    "/mnt",
    "/nix",
    "/opt",
    "/private",
    "/private/var",
    "/root",
    "/snap",
    "/srv",
    "/tmp",
    "/var",
    "/Applications",
    "/Users",
    "/Volumes",
];

/// One host folder in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderMount {
    /// The folder on this machine, as an absolute path.
    pub host: PathBuf,
    /// Where it appears inside the container; `None` means [`WORKSPACE`]/<folder name>.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The container may read but not change the folder.
    #[serde(default)]
    pub read_only: bool,
}

impl FolderMount {
    pub fn new(host: impl Into<PathBuf>) -> FolderMount {
        FolderMount {
            host: host.into(),
            container: None,
            read_only: false,
        }
    }

    /// The path inside the container.
    pub fn target(&self) -> String {
        match &self.container {
            Some(c) => c.clone(),
            None => {
                let name = self.host.file_name().and_then(|n| n.to_str()).unwrap_or("");
                format!("{WORKSPACE}/{name}")
            }
        }
    }

    /// The host path as text, for messages and lists.
    pub fn host_text(&self) -> String {
        self.host.display().to_string()
    }
}

/// Checks every entry's paths and that no two share a container path; `engine` is the `engine`
/// setting, whose socket is refused too. The reason names the entry.
pub fn validate(mounts: &[FolderMount], engine: &str) -> Result<(), String> {
    let mut targets: Vec<String> = Vec::new();
    for m in mounts {
        let host = host_path(&m.host).map_err(|r| format!("entry {:?}: {r}", m.host_text()))?;
        refuse_sensitive(&host, engine).map_err(|r| format!("entry {:?}: {r}", m.host_text()))?;
        let target = m.target();
        container_path(&target).map_err(|r| {
            format!(
                "entry {:?}: the container path {target:?} {r}",
                m.host_text()
            )
        })?;
        let clean = lexical(Path::new(&target)).unwrap_or_default();
        let clean = clean.display().to_string();
        if targets.contains(&clean) {
            return Err(format!(
                "has two entries on the container path {clean:?}; give one of them another \
                 container path (occ mount add HOST:/home/opencode/workspace/OTHER)"
            ));
        }
        targets.push(clean);
    }
    Ok(())
}

/// Checks the folder itself: it exists, is a folder, and where it really leads (a link to `/etc`
/// is `/etc`) passes the same rules. Returns the resolved path.
pub fn check_host(m: &FolderMount, engine: &str) -> Result<PathBuf, String> {
    let shown = m.host_text();
    let real = match std::fs::canonicalize(&m.host) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "entry {shown:?}: the folder does not exist; create it or remove the mount \
                 (occ mount remove {shown})"
            ))
        }
        Err(e) => return Err(format!("entry {shown:?}: the folder cannot be opened: {e}")),
    };
    if !real.is_dir() {
        return Err(format!(
            "entry {shown:?}: it is a file, not a folder; mount the folder that holds it"
        ));
    }
    refuse_sensitive(&real, engine)
        .map_err(|r| format!("entry {shown:?} leads to {}: {r}", real.display()))?;
    Ok(real)
}

/// A bounded count of the folder's files and folders: `Some(warning)` when it holds more than
/// [`LARGE_FOLDER_ENTRIES`]. Links are not followed; unreadable subfolders are skipped.
pub fn size_warning(folder: &Path) -> Option<String> {
    let mut pending = vec![folder.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > LARGE_FOLDER_ENTRIES {
                return Some(format!(
                    "{} holds more than {LARGE_FOLDER_ENTRIES} files and folders: the agent can \
                     read all of them, and Docker Desktop shares large folders slowly. Mounting \
                     the project's own folder is quicker.",
                    folder.display()
                ));
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(entry.path());
            }
        }
    }
    None
}

/// Absolute, UTF-8, no control characters, no `..`; returns the path without `.` parts.
fn host_path(host: &Path) -> Result<PathBuf, String> {
    let Some(text) = host.to_str() else {
        return Err("the host path is not valid UTF-8, which settings.json cannot hold".into());
    };
    refuse_control(text)?;
    if text.is_empty() {
        return Err("the host path is empty; give the full path of a folder".into());
    }
    if !host.is_absolute() {
        return Err(format!(
            "the host path {text:?} is relative; give the full path (for example {:?})",
            std::env::current_dir()
                .map(|d| d.join(host).display().to_string())
                .unwrap_or_else(|_| format!("/home/you/{text}"))
        ));
    }
    lexical(host).ok_or_else(|| {
        format!("the host path {text:?} contains '..'; give the folder's full path without it")
    })
}

fn refuse_control(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "the path contains the control character {c:?} (a line break or tab pasted in?); \
             paths with control characters cannot be listed or typed back, so they are refused"
        )),
        None => Ok(()),
    }
}

/// `path` without `.` parts, or `None` when it has `..` parts.
fn lexical(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => return None,
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// The folders whose mounting would hand the container the system, the home folder, or the
/// engine itself.
fn refuse_sensitive(host: &Path, engine: &str) -> Result<(), String> {
    if host.parent().is_none() {
        return Err("that is the filesystem root; mount a project folder instead".into());
    }
    if let Some(home) = dirs::home_dir() {
        if host == home {
            return Err(
                "that is your home folder, which holds your keys, tokens and every other \
                 project; mount a project folder inside it instead"
                    .into(),
            );
        }
        if home.starts_with(host) {
            return Err(format!(
                "that folder holds your home folder {}; mount a project folder instead",
                home.display()
            ));
        }
    }
    for system in SYSTEM_TREES {
        if host.starts_with(system) {
            return Err(format!(
                "{system} is a system folder; mounting it (or anything in it) would let the \
                 agent see or change the system. Mount a project folder instead"
            ));
        }
    }
    if SYSTEM_FOLDERS.iter().any(|s| host == Path::new(s)) {
        return Err(format!(
            "{} is a system folder that holds other people's or programs' folders; mount a \
             project folder inside it instead",
            host.display()
        ));
    }
    for socket in docker_sockets(engine) {
        if socket.starts_with(host) {
            return Err(format!(
                "it holds the Docker socket {}, and whoever reaches that socket controls every \
                 container and, through them, this computer; mount a folder that does not \
                 contain it",
                socket.display()
            ));
        }
    }
    Ok(())
}

/// Where the engine's socket may be, each as given and as resolved (`/var/run` → `/run`): the
/// one the `engine` setting, DOCKER_HOST or the docker context choose, every well-known one
/// (Docker Desktop, rootless, Podman, Colima, …) and a few more.
fn docker_sockets(engine: &str) -> Vec<PathBuf> {
    let mut sockets = vec![
        PathBuf::from("/var/run/docker.sock"),
        PathBuf::from("/run/docker.sock"),
    ];
    let env = crate::discovery::Env::current();
    let chosen = crate::discovery::resolve(engine, &env).unwrap_or_default();
    sockets.extend(
        chosen
            .into_iter()
            .chain(crate::discovery::table(&env))
            .filter_map(|c| c.socket_path()),
    );
    if let Some(path) = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
    {
        sockets.push(path);
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
        sockets.push(PathBuf::from(runtime).join("docker.sock"));
    }
    if let Some(home) = dirs::home_dir() {
        for rel in [
            ".docker/run/docker.sock",
            ".docker/desktop/docker.sock",
            ".colima/default/docker.sock",
            ".rd/docker.sock",
            ".orbstack/run/docker.sock",
        ] {
            sockets.push(home.join(rel));
        }
    }
    let resolved: Vec<PathBuf> = sockets
        .iter()
        .filter_map(|s| std::fs::canonicalize(s).ok())
        .collect();
    sockets.extend(resolved);
    sockets
}

/// The container side: absolute, clean, strictly inside [`WORKSPACE`], not onto a volume.
fn container_path(target: &str) -> Result<(), String> {
    refuse_control(target)?;
    let path = Path::new(target);
    if !path.is_absolute() {
        return Err(format!("is relative; use a path inside {WORKSPACE}"));
    }
    let Some(clean) = lexical(path) else {
        return Err("contains '..'; write the path without it".into());
    };
    if clean == Path::new(WORKSPACE) {
        return Err(format!(
            "is the projects volume's own path, which the mount would hide; use a folder \
             inside it such as {WORKSPACE}/project"
        ));
    }
    if !clean.starts_with(WORKSPACE) {
        return Err(format!(
            "is outside {WORKSPACE}; host folders go inside it, where the agent works (the \
             session and config volumes and the system stay as they are)"
        ));
    }
    Ok(())
}

fn refused(reason: String) -> SettingsError {
    SettingsError::Invalid {
        key: "mounts".into(),
        reason,
    }
}

/// Settings with `mount` added, after checking the folder; with any warnings (a large folder).
/// The caller saves them; on an error nothing is to be saved.
pub fn add(
    settings: &Settings,
    mount: FolderMount,
) -> Result<(Settings, Vec<String>), SettingsError> {
    // The path rules first, so a relative path is called relative rather than missing.
    validate(std::slice::from_ref(&mount), &settings.engine).map_err(refused)?;
    let real = check_host(&mount, &settings.engine).map_err(refused)?;
    let mut updated = settings.clone();
    updated.mounts.push(mount);
    updated.validate()?;
    Ok((updated, size_warning(&real).into_iter().collect()))
}

/// Settings without the mount whose host or container path is `which`.
pub fn remove(settings: &Settings, which: &str) -> Result<Settings, SettingsError> {
    let index = find(settings, which)?;
    let mut updated = settings.clone();
    updated.mounts.remove(index);
    Ok(updated)
}

/// Settings with the mount whose host or container path is `which` made read-only or not.
pub fn set_read_only(
    settings: &Settings,
    which: &str,
    read_only: bool,
) -> Result<Settings, SettingsError> {
    let index = find(settings, which)?;
    let mut updated = settings.clone();
    updated.mounts[index].read_only = read_only;
    Ok(updated)
}

/// Checks every mounted folder is still there and still allowed (before creating the container).
pub fn check_all(settings: &Settings) -> Result<(), SettingsError> {
    for m in &settings.mounts {
        check_host(m, &settings.engine).map_err(refused)?;
    }
    Ok(())
}

fn find(settings: &Settings, which: &str) -> Result<usize, SettingsError> {
    let wanted = lexical(Path::new(which)).unwrap_or_else(|| PathBuf::from(which));
    let matches = |m: &FolderMount| {
        lexical(&m.host).as_deref() == Some(wanted.as_path())
            || lexical(Path::new(&m.target())).as_deref() == Some(wanted.as_path())
    };
    settings.mounts.iter().position(matches).ok_or_else(|| {
        let known: Vec<String> = settings
            .mounts
            .iter()
            .map(|m| format!("{} → {}", m.host_text(), m.target()))
            .collect();
        refused(if known.is_empty() {
            format!("has no entry for {which:?}: there are no mounts")
        } else {
            format!(
                "has no entry whose host or container path is {which:?}; the mounts are {}",
                known.join(", ")
            )
        })
    })
}
