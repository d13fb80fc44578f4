//! The app's log: every line goes to stderr and to a file a person can send with a bug report,
//! `<state dir>/opencode-cloud/logs/opencode-cloud.log.<date>` (a new file a day, a week kept).
//! Nothing secret is logged: statuses, operations and errors only, which never hold the password.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Overrides the folder of the log files (the tests use it).
pub const LOG_DIR_ENV: &str = "OPENCODE_CLOUD_LOG_DIR";
const FILE_PREFIX: &str = "opencode-cloud.log";
const FILES_KEPT: usize = 7;

/// Where the log files are: `$OPENCODE_CLOUD_LOG_DIR`, else the XDG state dir
/// (`~/.local/state/opencode-cloud/logs` on Linux), else the local data dir.
pub fn log_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(LOG_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("opencode-cloud")
        .join("logs")
}

/// Starts logging; keep the guard alive for the app's life (dropping it flushes the file).
/// `RUST_LOG` tunes the level (default: info for the app and the core, warn for the rest).
pub fn init() -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,opencode_cloud_desktop=info,occ_core=info"));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let file = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .max_log_files(FILES_KEPT)
        .build(log_dir());
    match file {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let to_file = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_target(false);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(to_file)
                .try_init();
            Some(guard)
        }
        Err(e) => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .try_init();
            tracing::warn!("no log file in {}: {e}", log_dir().display());
            None
        }
    }
}
