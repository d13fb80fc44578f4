//! Live container output for the window: one follower at a time, streaming `log` events.

use std::sync::{Mutex, PoisonError};

use futures_util::StreamExt;
use occ_core::{logs, Engine, Settings};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;

use crate::hub::Hub;

#[derive(Clone, Serialize)]
struct LogEvent {
    line: String,
}

#[derive(Default)]
pub struct LogFollower {
    task: Mutex<Option<JoinHandle<()>>>,
}

impl LogFollower {
    /// Replaces any follower with one streaming new lines of `settings`' container.
    pub fn start(&self, hub: Hub, engine: Engine, settings: Settings) {
        let task = tauri::async_runtime::spawn(async move {
            let mut stream = std::pin::pin!(logs::follow(&engine, &settings, 0, true));
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(lines) => {
                        for line in lines {
                            hub.emit("log", &LogEvent { line });
                        }
                    }
                    Err(e) => {
                        tracing::warn!("following the logs ended: {e}");
                        break;
                    }
                }
            }
        });
        if let Some(old) = self.lock().replace(task) {
            old.abort();
        }
    }

    pub fn stop(&self) {
        if let Some(task) = self.lock().take() {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.task.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
