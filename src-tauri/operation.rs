//! The Docker operations the app runs one at a time: their names (in events and commands) and
//! their words. A module of its own because the owner, the hub, notifications and the tray all
//! speak of them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Start,
    Stop,
    Restart,
    Pull,
    Build,
    Update,
    RemoveContainer,
    /// A new server password; a running container is recreated on it.
    NewPassword,
}

impl Operation {
    /// The name in events and snapshots (the command's name).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Start => "start",
            Operation::Stop => "stop",
            Operation::Restart => "restart",
            Operation::Pull => "pull",
            Operation::Build => "build",
            Operation::Update => "update",
            Operation::RemoveContainer => "remove_container",
            Operation::NewPassword => "new_password",
        }
    }

    /// What is going on while it runs, for "Already …" and the tray's status line.
    pub fn activity(self) -> &'static str {
        match self {
            Operation::Start => "starting",
            Operation::Stop => "stopping",
            Operation::Restart => "restarting",
            Operation::Pull => "pulling the image",
            Operation::Build => "building the image",
            Operation::Update => "updating",
            Operation::RemoveContainer => "removing the container",
            Operation::NewPassword => "setting a new password",
        }
    }
}
