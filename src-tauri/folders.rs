//! The window's Folders section (host folders mounted into the container) and its disk use. The
//! rules are the core's (`occ_core::mounts`); a refused change writes nothing.

use occ_core::disk::{self, Cleaned, DiskUsage};
use occ_core::mounts::{self, FolderMount};
use occ_core::{Engine, Settings, SettingsFile};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::AppError;
use crate::hub::Hub;

type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Serialize)]
pub struct Folder {
    host: String,
    container: String,
    read_only: bool,
}

/// The list after a change (or as it is), with what the window should say about it.
#[derive(Serialize)]
pub struct Folders {
    folders: Vec<Folder>,
    /// The `mounts` setting as saved, for the settings form's copy.
    mounts: Vec<FolderMount>,
    /// Allowed but worth knowing (a very large folder).
    warnings: Vec<String>,
    /// Files the agent creates in these folders will not be the person's ([`occ_core::ownership`]).
    ownership: Option<String>,
}

async fn answer(settings: &Settings, warnings: Vec<String>) -> Folders {
    let ownership = match settings.mounts.is_empty() {
        true => None,
        // Without an engine there is no image to ask; the status says why elsewhere.
        false => match Engine::discover(&settings.engine).await {
            Ok(engine) => occ_core::ownership::note(&engine, settings)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        },
    };
    Folders {
        folders: settings
            .mounts
            .iter()
            .map(|m| Folder {
                host: m.host_text(),
                container: m.target(),
                read_only: m.read_only,
            })
            .collect(),
        mounts: settings.mounts.clone(),
        warnings,
        ownership,
    }
}

/// Saves, then tells every window (a `folders` event), whoever made the change.
async fn save(
    app: &AppHandle,
    hub: &Hub,
    settings: &Settings,
    warnings: Vec<String>,
) -> Result<Folders> {
    SettingsFile::from_env().save(settings)?;
    hub.settings_loaded(settings);
    let folders = answer(settings, warnings).await;
    if let Err(e) = app.emit("folders", &folders) {
        tracing::warn!("could not send the folders event: {e}");
    }
    Ok(folders)
}

#[tauri::command]
pub async fn folders() -> Result<Folders> {
    let settings = SettingsFile::from_env().load()?;
    Ok(answer(&settings, Vec::new()).await)
}

/// Mounts `path` (at the workspace's `<folder name>`), from the next Start.
#[tauri::command]
pub async fn add_folder(
    app: AppHandle,
    hub: State<'_, Hub>,
    path: String,
    read_only: bool,
) -> Result<Folders> {
    let settings = SettingsFile::from_env().load()?;
    let mount = FolderMount {
        read_only,
        ..FolderMount::new(path)
    };
    let (updated, warnings) = mounts::add(&settings, mount)?;
    save(&app, &hub, &updated, warnings).await
}

/// "Add folder…": the system's folder picker, then [`add_folder`]; `None` when cancelled.
#[tauri::command]
pub async fn pick_folder(app: AppHandle, hub: State<'_, Hub>) -> Result<Option<Folders>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Mount a folder into the sandbox")
        .pick_folder(move |picked| {
            let _ = tx.send(picked);
        });
    let picked = rx.await.ok().flatten();
    let Some(path) = picked.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    let Some(path) = path.to_str().map(str::to_string) else {
        return Err(AppError::invalid_argument(format!(
            "The folder {} has a name that is not UTF-8, which the settings cannot hold.",
            path.display()
        )));
    };
    add_folder(app, hub, path, false).await.map(Some)
}

#[tauri::command]
pub async fn remove_folder(app: AppHandle, hub: State<'_, Hub>, path: String) -> Result<Folders> {
    let updated = mounts::remove(&SettingsFile::from_env().load()?, &path)?;
    save(&app, &hub, &updated, Vec::new()).await
}

#[tauri::command]
pub async fn set_folder_read_only(
    app: AppHandle,
    hub: State<'_, Hub>,
    path: String,
    read_only: bool,
) -> Result<Folders> {
    let updated = mounts::set_read_only(&SettingsFile::from_env().load()?, &path, read_only)?;
    save(&app, &hub, &updated, Vec::new()).await
}

#[tauri::command]
pub async fn disk_usage(hub: State<'_, Hub>) -> Result<DiskUsage> {
    let settings = hub.settings();
    let engine = Engine::discover(&settings.engine).await?;
    Ok(disk::usage(&engine, &settings).await?)
}

/// Removes this instance's old images (never volumes); says how much it freed.
#[tauri::command]
pub async fn clean_up(hub: State<'_, Hub>) -> Result<Cleaned> {
    let settings = hub.settings();
    let engine = Engine::discover(&settings.engine).await?;
    Ok(disk::clean(&engine, &settings).await?)
}
