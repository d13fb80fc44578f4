//! Whose files the agent writes. A file created in a mounted host folder belongs, on the host, to
//! the container user's uid: so in build mode the image is built with the person's own uid/gid
//! (recorded in two labels; a mismatch makes `start` rebuild), and otherwise the app says plainly
//! when the image's user differs from the person and what that means.
//!
//! Running as root (uid 0, as on CI machines): the sandbox never runs as root, so the image keeps
//! uid/gid 1000 and the note says that files the agent creates belong to uid 1000 (root can still
//! read and change them). On macOS, Docker Desktop's file sharing gives files the person's owner
//! whatever the uid inside, so the default is kept and no note is given.

use crate::client::Engine;
use crate::error::Result;
use crate::settings::{ImageMode, Settings};

pub const USER_UID_LABEL: &str = "dev.opencode-cloud.user-uid";
pub const USER_GID_LABEL: &str = "dev.opencode-cloud.user-gid";
/// The Dockerfile's own uid/gid, used when the person's cannot or need not be.
pub const DEFAULT_USER: (u32, u32) = (1000, 1000);

/// The uid/gid of the person running this program (`None` where there are none, on Windows).
pub fn host_user() -> Option<(u32, u32)> {
    #[cfg(unix)]
    {
        Some((
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        ))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The uid/gid the image is built with: the person's, except root's 0 (never inside) and on
/// macOS and Windows, where [`DEFAULT_USER`] is kept.
pub fn build_user() -> (u32, u32) {
    match host_user() {
        Some((uid, gid)) if cfg!(target_os = "linux") && uid != 0 => {
            (uid, if gid == 0 { DEFAULT_USER.1 } else { gid })
        }
        _ => DEFAULT_USER,
    }
}

/// The uid/gid an image says its user has: its labels, else a numeric `USER uid[:gid]`.
pub async fn image_user(engine: &Engine, image: &str) -> Result<Option<(u32, Option<u32>)>> {
    let info = match engine.api().inspect_image(image).await {
        Ok(info) => info,
        Err(e) if crate::error::status_code(&e) == Some(404) => return Ok(None),
        Err(e) => {
            return Err(engine.classify(e, |message| crate::Error::Image {
                action: "inspect",
                image: image.to_string(),
                message,
            }))
        }
    };
    let config = info.config.unwrap_or_default();
    let labels = config.labels.unwrap_or_default();
    let label = |key: &str| labels.get(key).and_then(|v| v.parse::<u32>().ok());
    if let Some(uid) = label(USER_UID_LABEL) {
        return Ok(Some((uid, label(USER_GID_LABEL))));
    }
    let user = config.user.unwrap_or_default();
    let (uid, gid) = user.split_once(':').unwrap_or((user.as_str(), ""));
    Ok(uid.parse().ok().map(|uid| (uid, gid.parse().ok())))
}

/// Whether `start` should rebuild: build mode, and an image whose labels name another user than
/// [`build_user`]. An image without the labels (built elsewhere, or from a Dockerfile without
/// the `USER_UID` argument) is left alone: rebuilding it could not change it.
pub async fn needs_rebuild(engine: &Engine, settings: &Settings) -> Result<bool> {
    if settings.image_mode != ImageMode::Build {
        return Ok(false);
    }
    let info = match engine.api().inspect_image(&settings.image).await {
        Ok(info) => info,
        Err(_) => return Ok(false),
    };
    let labels = info.config.and_then(|c| c.labels).unwrap_or_default();
    let (uid, gid) = build_user();
    Ok(match labels.get(USER_UID_LABEL) {
        Some(found) => {
            *found != uid.to_string()
                || labels
                    .get(USER_GID_LABEL)
                    .is_some_and(|g| *g != gid.to_string())
        }
        None => false,
    })
}

/// One plain sentence when files the agent creates in mounted folders will not belong to the
/// person running this program; `None` when they will, or where the question does not arise.
pub async fn note(engine: &Engine, settings: &Settings) -> Result<Option<String>> {
    let Some((host_uid, _)) = host_user() else {
        return Ok(None);
    };
    if cfg!(target_os = "macos") {
        return Ok(None);
    }
    let fix = match settings.image_mode {
        ImageMode::Pull => {
            "To have them be yours, build the image here with your uid: \
             `occ config set image_mode build`, then `occ update`."
        }
        ImageMode::Build => "`occ build` rebuilds the image with your uid.",
    };
    let Some((uid, _)) = image_user(engine, &settings.image).await? else {
        return Ok(Some(format!(
            "The image {} does not say which uid its user has (ours use 1000 unless built \
             here), so files the agent creates in mounted folders may not belong to you (uid \
             {host_uid}). {fix}",
            settings.image
        )));
    };
    Ok(if uid == host_uid {
        None
    } else if host_uid == 0 {
        Some(format!(
            "You run as root, and the sandbox never does: its user is uid {uid}, so files the \
             agent creates in mounted folders belong to uid {uid} on this machine (root can \
             still read and change them)."
        ))
    } else {
        Some(format!(
            "The image's user is uid {uid} and yours is {host_uid}: files the agent creates in \
             mounted folders will belong to uid {uid}, not to you, and it may be unable to \
             change files that only you may write. {fix}"
        ))
    })
}
