//! The window's commands (docs/ARCHITECTURE.md): check the arguments, ask the owner or the core,
//! map the error. Every rejection reaches JS as `{ kind, message }`.

use occ_core::{engines, logs, status, Engine, Settings, SettingsFile, Status};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_opener::OpenerExt;

use crate::actions;
use crate::error::AppError;
use crate::follow::LogFollower;
use crate::hub::{Hub, Snapshot};
use crate::operation::Operation;
use crate::owner::OwnerHandle;

type Result<T> = std::result::Result<T, AppError>;

/// The most lines `logs` returns at once.
const MAX_LOG_LINES: i64 = 5000;

#[tauri::command]
pub fn snapshot(hub: State<'_, Hub>) -> Snapshot {
    hub.snapshot()
}

/// The last observed status; before the watcher's first report, one look at the engine.
#[tauri::command]
pub async fn status(hub: State<'_, Hub>) -> Result<Status> {
    if let Some(status) = hub.status() {
        return Ok(status);
    }
    let settings = hub.settings();
    match Engine::discover(&settings.engine).await {
        Ok(engine) => Ok(status::current(&engine, &settings).await?),
        Err(e) if e.is_unreachable() => Ok(Status::unreachable_because(&settings, &e)),
        Err(e) => Err(e.into()),
    }
}

async fn run(owner: &OwnerHandle, op: Operation) -> Result<()> {
    owner.run(op).await
}

#[tauri::command]
pub async fn start(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Start).await
}

#[tauri::command]
pub async fn stop(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Stop).await
}

#[tauri::command]
pub async fn restart(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Restart).await
}

#[tauri::command]
pub async fn pull(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Pull).await
}

#[tauri::command]
pub async fn build(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Build).await
}

#[tauri::command]
pub async fn update(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::Update).await
}

#[tauri::command]
pub async fn remove_container(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::RemoveContainer).await
}

/// The settings file as it is now (no side effect: what the app runs on changes when a save or
/// the next operation loads it).
#[tauri::command]
pub async fn get_settings() -> Result<Settings> {
    Ok(SettingsFile::from_env().load()?)
}

/// What the window's form would save: refused (with the key) or accepted with warnings. The one
/// validator is the core's; nothing is written.
#[derive(serde::Serialize)]
pub struct SettingsCheck {
    error: Option<AppError>,
    warnings: Vec<occ_core::settings_warnings::Warning>,
}

#[tauri::command]
pub async fn check_settings(settings: serde_json::Value) -> SettingsCheck {
    match parse_settings(&settings) {
        Ok(settings) => SettingsCheck {
            error: None,
            warnings: settings.warnings(),
        },
        Err(error) => SettingsCheck {
            error: Some(error),
            warnings: Vec::new(),
        },
    }
}

/// Parses and validates everything (types, unknown keys, values). A rejected save writes nothing.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    hub: State<'_, Hub>,
    settings: serde_json::Value,
) -> Result<Settings> {
    let settings = parse_settings(&settings)?;
    SettingsFile::from_env().save(&settings)?;
    hub.settings_loaded(&settings);
    apply_start_at_login(&app, settings.start_at_login)?;
    Ok(settings)
}

fn parse_settings(value: &serde_json::Value) -> Result<Settings> {
    if !value.is_object() {
        return Err(AppError::new(
            "settings",
            "The settings must be a JSON object.",
        ));
    }
    Ok(Settings::from_json(
        &value.to_string(),
        SettingsFile::from_env().path(),
    )?)
}

/// Makes the login item match the setting (off unless the user turns it on).
pub fn apply_start_at_login(app: &AppHandle, wanted: bool) -> Result<()> {
    let autostart = app.autolaunch();
    if autostart.is_enabled()? != wanted {
        if wanted {
            autostart.enable()?;
        } else {
            autostart.disable()?;
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn logs(hub: State<'_, Hub>, lines: i64) -> Result<Vec<String>> {
    if !(1..=MAX_LOG_LINES).contains(&lines) {
        return Err(AppError::invalid_argument(format!(
            "lines must be between 1 and {MAX_LOG_LINES}, not {lines}."
        )));
    }
    let settings = hub.settings();
    let engine = Engine::discover(&settings.engine).await?;
    let n = usize::try_from(lines).unwrap_or(1);
    Ok(logs::tail(&engine, &settings, n).await?)
}

/// The limits in force beside the live usage: one inspect and one one-shot stats sample, asked
/// for by the window while it is open (`null` when the container is not running).
#[tauri::command]
pub async fn usage(hub: State<'_, Hub>) -> Result<Option<occ_core::usage::Usage>> {
    let settings = hub.settings();
    let engine = Engine::discover(&settings.engine).await?;
    Ok(occ_core::usage::sample(&engine, &settings).await?)
}

/// The engines on this machine, for the settings' engine choice.
#[tauri::command]
pub async fn list_engines(hub: State<'_, Hub>) -> Result<Vec<engines::FoundEngine>> {
    Ok(engines::list(&hub.settings().engine).await?)
}

#[tauri::command]
pub async fn follow_logs(hub: State<'_, Hub>, follower: State<'_, LogFollower>) -> Result<()> {
    let settings = hub.settings();
    let engine = Engine::discover(&settings.engine).await?;
    // Reject here what would only end the follower silently (e.g. no container yet).
    logs::tail(&engine, &settings, 1).await?;
    follower.start(hub.inner().clone(), engine, settings);
    Ok(())
}

#[tauri::command]
pub async fn unfollow_logs(follower: State<'_, LogFollower>) -> Result<()> {
    follower.stop();
    Ok(())
}

/// A new random password; a running container is recreated on it (volumes kept).
#[tauri::command]
pub async fn new_password(owner: State<'_, OwnerHandle>) -> Result<()> {
    run(&owner, Operation::NewPassword).await
}

/// The password onto the clipboard; it is never sent to the window.
#[tauri::command]
pub async fn copy_password(app: AppHandle) -> Result<()> {
    actions::copy_password(&app)
}

#[tauri::command]
pub async fn open_in_browser(app: AppHandle) -> Result<()> {
    actions::open_browser(&app)
}

/// Opens the folder of the app's log files in the file manager (for a bug report).
#[tauri::command]
pub async fn open_log_folder(app: AppHandle) -> Result<()> {
    let dir = crate::logging::log_dir();
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(AppError::from)
}
