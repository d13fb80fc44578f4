//! The platform's default endpoint and the well-known sockets of Docker Desktop, rootless Docker,
//! Podman, Colima, OrbStack and Rancher Desktop, in the order they are tried.

use std::path::{Path, PathBuf};

use super::{Candidate, Env, Platform, Source};

/// The platform's default endpoint, then the well-known ones, without repeats.
pub fn table(env: &Env) -> Vec<Candidate> {
    let known = |what: &str| Source::WellKnown(what.to_string());
    let mut out = Vec::new();
    match env.platform {
        Platform::Windows => {
            out.push(Candidate::new(
                "npipe:////./pipe/docker_engine",
                Source::PlatformDefault,
            ));
            out.push(Candidate::new(
                "npipe:////./pipe/dockerDesktopLinuxEngine",
                known("Docker Desktop"),
            ));
            out.push(Candidate::new(
                "npipe:////./pipe/podman-machine-default",
                known("Podman machine"),
            ));
        }
        Platform::Linux | Platform::MacOs => {
            out.push(Candidate::socket(
                Path::new("/var/run/docker.sock"),
                Source::PlatformDefault,
            ));
            let desktop = match env.platform {
                Platform::MacOs => ".docker/run/docker.sock",
                _ => ".docker/desktop/docker.sock",
            };
            if let Some(p) = env.home_join(desktop) {
                out.push(Candidate::socket(&p, known("Docker Desktop")));
            }
            if env.platform == Platform::Linux {
                if let Some(run) = env.var("XDG_RUNTIME_DIR").map(PathBuf::from) {
                    out.push(Candidate::socket(
                        &run.join("docker.sock"),
                        known("rootless Docker"),
                    ));
                    out.push(Candidate::socket(
                        &run.join("podman/podman.sock"),
                        known("Podman (rootless)"),
                    ));
                }
                out.push(Candidate::socket(
                    Path::new("/run/podman/podman.sock"),
                    known("Podman"),
                ));
            } else {
                for (machine, sock) in podman_machines(env) {
                    out.push(Candidate::socket(
                        &sock,
                        known(&format!("Podman machine {machine}")),
                    ));
                }
            }
            for (profile, sock) in colima_profiles(env) {
                out.push(Candidate::socket(
                    &sock,
                    known(&format!("Colima profile {profile}")),
                ));
            }
            if let Some(p) = env.home_join(".orbstack/run/docker.sock") {
                out.push(Candidate::socket(&p, known("OrbStack")));
            }
            if let Some(p) = env.home_join(".rd/docker.sock") {
                out.push(Candidate::socket(&p, known("Rancher Desktop")));
            }
        }
    }
    let mut seen = Vec::new();
    out.retain(|c| {
        let new = !seen.contains(&c.endpoint);
        seen.push(c.endpoint.clone());
        new
    });
    out
}

/// Sub-folders of `dir`, sorted, `first` ahead of the rest; just `first` when there are none.
fn profiles(dir: &Path, first: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('_') && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by(|a, b| (a != first, a).cmp(&(b != first, b)));
    if names.is_empty() {
        names.push(first.to_string());
    }
    names
}

/// Colima's profiles and their sockets: `$COLIMA_HOME`, else `~/.colima`, then
/// `$XDG_CONFIG_HOME/colima` (default `~/.config/colima`).
fn colima_profiles(env: &Env) -> Vec<(String, PathBuf)> {
    let homes: Vec<PathBuf> = match env.var("COLIMA_HOME") {
        Some(home) => vec![PathBuf::from(home)],
        None => {
            let xdg = env
                .var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| env.home_join(".config"));
            env.home_join(".colima")
                .into_iter()
                .chain(xdg.map(|x| x.join("colima")))
                .collect()
        }
    };
    let existing: Vec<&PathBuf> = homes.iter().filter(|h| h.is_dir()).collect();
    let searched = if existing.is_empty() {
        homes.iter().take(1).collect()
    } else {
        existing
    };
    searched
        .into_iter()
        .flat_map(|home| {
            profiles(home, "default")
                .into_iter()
                .map(move |p| (p.clone(), home.join(&p).join("docker.sock")))
        })
        .collect()
}

/// Podman machines on macOS: `$TMPDIR/podman/<machine>-api.sock`.
fn podman_machines(env: &Env) -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env.var("TMPDIR").unwrap_or("/tmp")).join("podman");
    let mut machines: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix("-api.sock").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let first = "podman-machine-default";
    machines.sort_by(|a, b| (a != first, a).cmp(&(b != first, b)));
    if machines.is_empty() {
        machines.push(first.to_string());
    }
    machines
        .into_iter()
        .map(|m| {
            let sock = dir.join(format!("{m}-api.sock"));
            (m, sock)
        })
        .collect()
}
