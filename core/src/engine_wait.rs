//! Waiting for an engine that does not answer yet. Docker Desktop, Colima and Podman machines are
//! often started after the app: rather than asking the API in a loop, the watcher watches the
//! folders where the engine's socket will appear (inotify, FSEvents, … through `notify`), tries
//! again as soon as one changes, and only backs off where there is no socket file to watch (tcp).

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::client::{Engine, PING_TIMEOUT};
use crate::discovery::{self, Env};
use crate::error::Result;

/// What the watcher connects to: one endpoint, or whatever discovery finds for the `engine`
/// setting (found again on every attempt, so a context switched meanwhile is honoured).
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Endpoint(String),
    Discover(String),
}

impl Target {
    pub(crate) async fn connect(&self) -> Result<Engine> {
        match self {
            Target::Endpoint(endpoint) => Engine::connect_to(endpoint, PING_TIMEOUT).await,
            Target::Discover(setting) => Engine::discover(setting).await,
        }
    }

    /// The socket files whose appearance may mean an engine now answers.
    fn sockets(&self) -> Vec<PathBuf> {
        match self {
            Target::Endpoint(endpoint) => discovery::socket_path(endpoint).into_iter().collect(),
            Target::Discover(setting) => discovery::resolve(setting, &Env::current())
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c.socket_path())
                .collect(),
        }
    }
}

/// First and longest pause between attempts when a socket exists but does not answer (an engine
/// starting up binds its socket a moment before it listens), or when there is no file to watch.
pub(crate) const RETRY_MIN: Duration = Duration::from_millis(250);
const RETRY_SOCKET_MAX: Duration = Duration::from_secs(1);
pub(crate) const RETRY_MAX: Duration = Duration::from_secs(5);
/// How long to rely on the folder watch alone before one more attempt, in case a change was
/// missed (a folder on a network mount, say).
const IDLE_MAX: Duration = Duration::from_secs(30);

/// Waits until it is worth trying `target` again after a failed attempt; `backoff` is the pause
/// so far and is updated for the next failure.
pub(crate) async fn until_worth_retrying(target: &Target, backoff: &mut Duration) {
    let sockets = target.sockets();
    if sockets.is_empty() {
        tokio::time::sleep(*backoff).await;
        *backoff = (*backoff * 2).min(RETRY_MAX);
        return;
    }
    // Armed before looking, so a socket made right after the look still wakes us.
    let mut watch = SocketWatch::arm(&sockets);
    let pause = if sockets.iter().any(|s| s.exists()) {
        let pause = (*backoff).min(RETRY_SOCKET_MAX);
        *backoff = (*backoff * 2).min(RETRY_SOCKET_MAX);
        pause
    } else {
        IDLE_MAX
    };
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = watch.changed() => *backoff = RETRY_MIN,
    }
}

/// A watch on the nearest existing folder above each socket, waking on changes on the way to one.
struct SocketWatch {
    _watcher: Option<RecommendedWatcher>,
    changes: mpsc::Receiver<()>,
}

impl SocketWatch {
    fn arm(sockets: &[PathBuf]) -> SocketWatch {
        let (tx, changes) = mpsc::channel(1);
        let targets = sockets.to_vec();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            // A change to the socket itself, or to a folder on its way (created, renamed).
            if event
                .paths
                .iter()
                .any(|p| targets.iter().any(|t| t.starts_with(p)))
            {
                let _ = tx.try_send(());
            }
        });
        let watcher = watcher.ok().map(|mut w| {
            let mut watched: Vec<PathBuf> = Vec::new();
            for socket in sockets {
                if let Some(dir) = socket.parent().and_then(nearest_existing) {
                    if !watched.contains(&dir) && w.watch(&dir, RecursiveMode::NonRecursive).is_ok()
                    {
                        watched.push(dir);
                    }
                }
            }
            w
        });
        SocketWatch {
            _watcher: watcher,
            changes,
        }
    }

    /// Resolves on the next relevant change; never, when nothing could be watched.
    async fn changed(&mut self) {
        if self._watcher.is_none() || self.changes.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

fn nearest_existing(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|a| a.is_dir()).map(Path::to_path_buf)
}
