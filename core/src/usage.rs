//! The limits in force beside what the container uses right now, for the window: one inspect and
//! one one-shot stats sample (`stream=false, one-shot=true`), asked for only when someone looks.
//! Nothing here streams stats or runs on its own.

use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;
use serde::Serialize;

use crate::client::Engine;
use crate::error::{status_code, Error, Result};
use crate::settings::Settings;
use crate::status;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// Memory in use, bytes, without the page cache the kernel can drop (as `docker stats`).
    pub memory_bytes: Option<u64>,
    /// The memory limit in force, bytes; `None` for none.
    pub memory_limit: Option<u64>,
    /// The CPU limit in force, in CPUs; `None` for none.
    pub cpus: Option<f64>,
    pub pids: Option<u64>,
    pub pids_limit: Option<u64>,
    /// The container runtime (`runc`, `runsc`, …).
    pub runtime: Option<String>,
}

/// The usage of the running container; `None` when there is no container or it is not running.
pub async fn sample(engine: &Engine, settings: &Settings) -> Result<Option<Usage>> {
    let Some(info) = status::inspect(engine, settings).await? else {
        return Ok(None);
    };
    if info.state.as_ref().and_then(|s| s.running) != Some(true) {
        return Ok(None);
    }
    let host = info.host_config.unwrap_or_default();
    let positive = |v: Option<i64>| v.filter(|n| *n > 0).map(|n| n as u64);
    let mut usage = Usage {
        memory_bytes: None,
        memory_limit: positive(host.memory),
        cpus: positive(host.nano_cpus).map(|n| n as f64 / 1e9),
        pids: None,
        pids_limit: positive(host.pids_limit),
        runtime: host.runtime,
    };
    let name = settings.container_name();
    let options = StatsOptions {
        stream: false,
        one_shot: true,
    };
    let mut stats = engine.api().stats(&name, Some(options));
    match stats.next().await {
        Some(Ok(sample)) => {
            if let Some(memory) = sample.memory_stats {
                let cache = memory.stats.as_ref().and_then(|s| {
                    s.get("total_inactive_file")
                        .or_else(|| s.get("inactive_file"))
                        .copied()
                });
                usage.memory_bytes = memory.usage.map(|u| u.saturating_sub(cache.unwrap_or(0)));
            }
            usage.pids = sample.pids_stats.and_then(|p| p.current);
        }
        // Gone or stopped since the inspect: nothing to show.
        Some(Err(e)) if matches!(status_code(&e), Some(404 | 409)) => return Ok(None),
        Some(Err(e)) => {
            return Err(engine.classify(e, |message| Error::Container {
                action: "read the usage of",
                container: name.clone(),
                message,
            }))
        }
        None => {}
    }
    Ok(Some(usage))
}
