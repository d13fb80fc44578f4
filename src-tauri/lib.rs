//! opencode-cloud desktop: a tray app that keeps opencode's web server running in Docker.
//!
//! - [`owner`]: the one task that runs Docker operations; [`watcher`]: the observed status
//! - [`hub`]: what the app knows, published to the window, the tray and notifications
//! - [`commands`] (the window's API) and [`tray`] both act through [`actions`]; [`operation`]
//!   names what the owner runs; [`window`], [`notify`], [`quit`], [`logging`]: the desktop side
//! - No module uses one that uses it back: commands/tray → actions → owner → hub → notify.

mod actions;
mod commands;
mod error;
mod folders;
mod follow;
mod hub;
mod logging;
mod notify;
mod operation;
mod owner;
mod quit;
mod tray;
mod watcher;
mod window;

use occ_core::SettingsFile;
use tauri::{App, AppHandle, Manager, RunEvent, WindowEvent};

use error::AppError;

pub fn run() {
    // Held until `run` returns, so the last lines reach the file.
    let _log = logging::init();
    tracing::info!(
        "opencode-cloud {} starting; logs in {}",
        env!("CARGO_PKG_VERSION"),
        logging::log_dir().display()
    );
    let builder = tauri::Builder::default()
        // First, so a second launch is caught before anything else starts: it shows our window.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show_later(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        // Used from Rust only (Copy password); the window is granted none of its commands.
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args(["--minimized"])
                .build(),
        )
        .manage(follow::LogFollower::default())
        .setup(|app| setup(app).map_err(Into::into))
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::status,
            commands::start,
            commands::stop,
            commands::restart,
            commands::pull,
            commands::build,
            commands::update,
            commands::remove_container,
            commands::get_settings,
            commands::check_settings,
            commands::save_settings,
            commands::logs,
            commands::list_engines,
            commands::usage,
            commands::follow_logs,
            commands::unfollow_logs,
            commands::open_in_browser,
            commands::copy_password,
            commands::new_password,
            commands::open_log_folder,
            folders::folders,
            folders::add_folder,
            folders::pick_folder,
            folders::remove_folder,
            folders::set_folder_read_only,
            folders::disk_usage,
            folders::clean_up,
        ]);
    match builder.build(tauri::generate_context!()) {
        Ok(app) => app.run(on_run_event),
        Err(e) => {
            tracing::error!("could not start: {e}");
            std::process::exit(1);
        }
    }
}

fn setup(app: &mut App) -> tauri::Result<()> {
    let handle = app.handle().clone();
    let loaded = SettingsFile::from_env()
        .load_migrating()
        .map_err(AppError::from);
    // Said once: the file is saved without what was migrated.
    let notices = loaded.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
    for notice in &notices {
        tracing::info!("{notice}");
    }
    let loaded = loaded.map(|(settings, _)| settings);
    // A broken file is reported, never overwritten; the defaults keep the tray useful.
    let settings = loaded.clone().unwrap_or_default();
    let hub = hub::Hub::new(handle.clone(), settings.clone());
    hub.set_notices(notices);
    // The tray exists before any task can publish, so no refresh is lost.
    let model = tray::menu_model(&occ_core::status_view(None, None), settings.stop_on_quit);
    let tray = std::sync::Arc::new(tray::Tray::build(&handle, &model)?);
    let main_thread = handle.clone();
    hub.on_view(Box::new(move |view, stop_on_quit| {
        let model = tray::menu_model(view, stop_on_quit);
        let tray = tray.clone();
        // Applied on the main thread; posting never blocks the caller.
        if let Err(e) = main_thread.run_on_main_thread(move || tray.refresh(&model)) {
            tracing::warn!("could not refresh the tray: {e}");
        }
    }));
    app.manage(hub.clone());
    app.manage(owner::spawn(hub.clone()));
    watcher::spawn(hub.clone());
    quit::on_signals(&handle);
    // The login item follows the file, but only a file that loaded: defaults decide nothing.
    match loaded {
        Ok(settings) => {
            if let Err(e) = commands::apply_start_at_login(&handle, settings.start_at_login) {
                tracing::warn!("{e}");
            }
        }
        Err(e) => {
            tracing::warn!("{e}");
            hub.set_last_error(e);
        }
    }
    if !window::started_minimized() {
        window::show(&handle);
    }
    Ok(())
}

fn on_run_event(app: &AppHandle, event: RunEvent) {
    match event {
        // The last window closed (no exit code): live on in the tray. Quit exits with code 0.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::WindowEvent { label, event, .. } if label == window::MAIN => match event {
            // Not prevented: the window closes and its webview is destroyed; `window::show`
            // builds a new one on demand.
            WindowEvent::CloseRequested { .. } => {}
            WindowEvent::Destroyed => app.state::<follow::LogFollower>().stop(),
            _ => {}
        },
        _ => {}
    }
}
