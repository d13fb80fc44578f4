//! tauri-build reads tauri.conf.json and icons/ beside Cargo.toml (build scripts run from the
//! package root); capabilities live under src-tauri/ with the rest of the Rust side.

/// The app's own commands. Listing them makes tauri-build generate `allow-<command>` permissions,
/// and makes every command denied unless a capability grants it.
const COMMANDS: &[&str] = &[
    "snapshot",
    "status",
    "start",
    "stop",
    "restart",
    "pull",
    "build",
    "update",
    "remove_container",
    "get_settings",
    "check_settings",
    "save_settings",
    "logs",
    "list_engines",
    "usage",
    "follow_logs",
    "unfollow_logs",
    "open_in_browser",
    "copy_password",
    "new_password",
    "open_log_folder",
    "folders",
    "add_folder",
    "pick_folder",
    "remove_folder",
    "set_folder_read_only",
    "disk_usage",
    "clean_up",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script reports by exiting non-zero with the message on stderr.
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
