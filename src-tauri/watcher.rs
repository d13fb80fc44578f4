//! Follows the instance's status through the core's Docker-event watcher (no polling) and
//! publishes every change. The watch restarts when the settings it depends on change.

use occ_core::{status, Settings};

use crate::hub::Hub;

/// What a status is computed from: a change means another container, port, image or engine to
/// watch.
fn watch_key(s: &Settings) -> (String, u16, std::net::IpAddr, String, String) {
    (
        s.instance.clone(),
        s.port,
        s.bind_address,
        s.image.clone(),
        s.engine.clone(),
    )
}

pub fn spawn(hub: Hub) {
    tauri::async_runtime::spawn(run(hub));
}

async fn run(hub: Hub) {
    let mut settings_rx = hub.subscribe_settings();
    loop {
        let settings = settings_rx.borrow_and_update().clone();
        let key = watch_key(&settings);
        hub.forget_status();
        // Dropping the watch (on restart) ends its task.
        let mut watch = status::watch_engine(settings);
        loop {
            tokio::select! {
                next = watch.next() => match next {
                    Some(status) => hub.publish_status(status),
                    None => return,
                },
                changed = settings_rx.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if watch_key(&settings_rx.borrow_and_update()) != key {
                        break;
                    }
                }
            }
        }
    }
}
