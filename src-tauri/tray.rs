//! The tray: built once, then refreshed in place. What it shows comes from the pure
//! [`menu_model`] (observed status + running operation in, labels and flags out); [`Tray`] only
//! applies a model to the kept item handles. On Linux clicks on the icon are not delivered, so
//! every action is in the menu.

mod model;

use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::AppHandle;

use crate::actions;
use crate::operation::Operation;

pub use model::{menu_model, IconKind, TrayModel};

fn icon_image(kind: IconKind) -> Option<Image<'static>> {
    let bytes: &[u8] = match kind {
        IconKind::Stopped => include_bytes!("../icons/tray-stopped.png"),
        IconKind::Busy => include_bytes!("../icons/tray-busy.png"),
        IconKind::Running => include_bytes!("../icons/tray-running.png"),
        IconKind::Error => include_bytes!("../icons/tray-error.png"),
    };
    Image::from_bytes(bytes)
        .map_err(|e| tracing::warn!("bad tray icon {kind:?}: {e}"))
        .ok()
}

/// The tray icon and the handles of the items that change.
pub struct Tray {
    icon: TrayIcon,
    status: MenuItem<tauri::Wry>,
    engine: MenuItem<tauri::Wry>,
    toggle: MenuItem<tauri::Wry>,
    restart: MenuItem<tauri::Wry>,
    open: MenuItem<tauri::Wry>,
    update: MenuItem<tauri::Wry>,
    quit: MenuItem<tauri::Wry>,
    shown: Mutex<TrayModel>,
}

impl Tray {
    pub fn build(app: &AppHandle, model: &TrayModel) -> tauri::Result<Tray> {
        let item = |id: &str, text: &str, enabled: bool| {
            MenuItem::with_id(app, id, text, enabled, None::<&str>)
        };
        let status = item("status", &model.status_line, false)?;
        let engine = item("engine", &model.engine_line, false)?;
        let toggle = item("toggle", model.toggle_label, model.toggle_enabled)?;
        let restart = item("restart", "Restart", model.restart_enabled)?;
        let open = item("open", "Open in browser", model.open_enabled)?;
        let show = item("show", "Show window", true)?;
        let update = item("update", "Update image", model.update_enabled)?;
        let quit = item("quit", model.quit_label, true)?;
        let separator = PredefinedMenuItem::separator(app)?;
        let menu = Menu::with_items(
            app,
            &[
                &status, &engine, &toggle, &restart, &open, &show, &update, &separator, &quit,
            ],
        )?;
        let mut builder = TrayIconBuilder::with_id("main")
            .menu(&menu)
            .tooltip("opencode-cloud")
            .on_menu_event(on_menu_event);
        if let Some(image) = icon_image(model.icon) {
            builder = builder.icon(image);
        }
        // Where the platform delivers clicks on the icon, a left click opens the window and
        // the menu stays on the right button.
        #[cfg(not(target_os = "linux"))]
        {
            use tauri::tray::{MouseButton, MouseButtonState, TrayIconEvent};
            builder = builder
                .show_menu_on_left_click(false)
                .on_tray_icon_event(|tray, event| {
                    if let TrayIconEvent::Click {
                        button: MouseButton::Left,
                        button_state: MouseButtonState::Up,
                        ..
                    } = event
                    {
                        crate::window::show_later(tray.app_handle());
                    }
                });
        }
        let icon = builder.build(app)?;
        Ok(Tray {
            icon,
            status,
            engine,
            toggle,
            restart,
            open,
            update,
            quit,
            shown: Mutex::new(model.clone()),
        })
    }

    /// Applies what differs from the model on screen. Runs on the main thread.
    pub fn refresh(&self, model: &TrayModel) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        let results = [
            (shown.status_line != model.status_line)
                .then(|| self.status.set_text(&model.status_line)),
            (shown.engine_line != model.engine_line)
                .then(|| self.engine.set_text(&model.engine_line)),
            (shown.toggle_label != model.toggle_label)
                .then(|| self.toggle.set_text(model.toggle_label)),
            (shown.toggle_enabled != model.toggle_enabled)
                .then(|| self.toggle.set_enabled(model.toggle_enabled)),
            (shown.restart_enabled != model.restart_enabled)
                .then(|| self.restart.set_enabled(model.restart_enabled)),
            (shown.open_enabled != model.open_enabled)
                .then(|| self.open.set_enabled(model.open_enabled)),
            (shown.update_enabled != model.update_enabled)
                .then(|| self.update.set_enabled(model.update_enabled)),
            (shown.quit_label != model.quit_label).then(|| self.quit.set_text(model.quit_label)),
            (shown.icon != model.icon).then(|| self.icon.set_icon(icon_image(model.icon))),
            (shown.status_line != model.status_line)
                .then(|| self.icon.set_tooltip(Some(&model.status_line))),
        ];
        for e in results.into_iter().flatten().filter_map(Result::err) {
            tracing::warn!("could not update the tray: {e}");
        }
        *shown = model.clone();
    }
}

/// Menu handlers never block: the actions hand the work to a task and return.
fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "toggle" => actions::toggle(app),
        "restart" => actions::spawn(app, Operation::Restart),
        "update" => actions::spawn(app, Operation::Update),
        "open" => {
            if let Err(e) = actions::open_browser(app) {
                tracing::warn!("{e}");
            }
        }
        "show" => crate::window::show_later(app),
        "quit" => crate::quit::quit(app),
        _ => {}
    }
}
