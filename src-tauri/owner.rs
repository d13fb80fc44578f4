//! The one task that owns Docker operations. Commands and the tray send it a request and await
//! the reply; it runs one operation at a time and answers a request that arrives meanwhile with
//! `busy` at once, so two clicks can never race two `docker` lifecycles against each other.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use occ_core::container;
use occ_core::image::{self, BuildSource};
use occ_core::settings::SettingsError;
use occ_core::{Engine, Progress, SettingsFile};
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;
use crate::hub::Hub;
use crate::operation::Operation;

pub type Reply = oneshot::Sender<Result<(), AppError>>;

pub struct Request {
    pub op: Operation,
    pub reply: Reply,
}

pub enum Message {
    Run(Request),
    /// Drop whatever runs, stop the container when `stop`, answer, and end the task.
    Quit {
        stop: bool,
        reply: oneshot::Sender<()>,
    },
}

/// Admission to the single operation slot. Pure, so the busy rules are unit-tested.
#[derive(Debug, Default)]
pub struct Gate {
    running: Option<Operation>,
}

impl Gate {
    /// Takes the slot for `op`, or says which operation holds it.
    pub fn begin(&mut self, op: Operation) -> Result<(), AppError> {
        match self.running {
            Some(current) => Err(AppError::busy(current.activity())),
            None => {
                self.running = Some(op);
                Ok(())
            }
        }
    }

    pub fn finish(&mut self) {
        self.running = None;
    }

    #[cfg(test)]
    pub fn running(&self) -> Option<Operation> {
        self.running
    }
}

/// How commands and the tray reach the owner (managed state; cheap to clone).
#[derive(Clone)]
pub struct OwnerHandle {
    tx: mpsc::Sender<Message>,
}

impl OwnerHandle {
    /// Runs `op` and waits for its outcome (or `busy` at once).
    pub async fn run(&self, op: Operation) -> Result<(), AppError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Message::Run(Request { op, reply }))
            .await
            .map_err(|_| AppError::shutting_down())?;
        answer.await.map_err(|_| AppError::shutting_down())?
    }

    /// Cancels what runs and, when `stop`, stops the container; returns when that is done.
    pub async fn quit(&self, stop: bool) {
        let (reply, done) = oneshot::channel();
        if self.tx.send(Message::Quit { stop, reply }).await.is_ok() {
            let _ = done.await;
        }
    }
}

type OpFuture = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send>>;

struct Running {
    op: Operation,
    started: Instant,
    reply: Reply,
    future: OpFuture,
}

/// Spawns the owner on tauri's runtime and returns its handle.
pub fn spawn(hub: Hub) -> OwnerHandle {
    let (tx, rx) = mpsc::channel(16);
    tauri::async_runtime::spawn(owner_loop(hub, rx));
    OwnerHandle { tx }
}

async fn owner_loop(hub: Hub, mut rx: mpsc::Receiver<Message>) {
    let mut gate = Gate::default();
    let mut running: Option<Running> = None;
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                None => return,
                Some(Message::Run(request)) => match gate.begin(request.op) {
                    Err(busy) => {
                        let _ = request.reply.send(Err(busy));
                    }
                    Ok(()) => running = Some(launch(&hub, request)),
                },
                Some(Message::Quit { stop, reply }) => {
                    if let Some(current) = running.take() {
                        // Dropping the future cancels it: the engine stops a pull or build
                        // whose client went away.
                        drop(current.future);
                        conclude(&hub, current.op, current.started, current.reply, Err(AppError::cancelled()));
                        gate.finish();
                    }
                    if stop && gate.begin(Operation::Stop).is_ok() {
                        let (tx, _) = oneshot::channel();
                        let mut stopping = launch(&hub, Request { op: Operation::Stop, reply: tx });
                        let result = stopping.future.as_mut().await;
                        conclude(&hub, stopping.op, stopping.started, stopping.reply, result);
                        gate.finish();
                    }
                    let _ = reply.send(());
                    return;
                }
            },
            result = poll_running(&mut running) => {
                if let Some(done) = running.take() {
                    conclude(&hub, done.op, done.started, done.reply, result);
                }
                gate.finish();
            }
        }
    }
}

/// The running operation's outcome; never resolves when nothing runs.
async fn poll_running(running: &mut Option<Running>) -> Result<(), AppError> {
    match running {
        Some(r) => r.future.as_mut().await,
        None => std::future::pending().await,
    }
}

fn launch(hub: &Hub, request: Request) -> Running {
    let op = request.op;
    hub.operation_started(op);
    let hub = hub.clone();
    let future = Box::pin(async move {
        let sink_hub = hub.clone();
        // AppHandle::emit is synchronous and cheap: the core is never held up by a window.
        let mut sink = move |progress: Progress| sink_hub.progress(op, progress);
        perform(&hub, op, &mut sink).await
    });
    Running {
        op,
        started: Instant::now(),
        reply: request.reply,
        future,
    }
}

fn conclude(
    hub: &Hub,
    op: Operation,
    started: Instant,
    reply: Reply,
    result: Result<(), AppError>,
) {
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    hub.operation_finished(op, duration_ms, &result);
    let _ = reply.send(result);
}

/// One operation against the engine, with settings read fresh so `occ config set` is honoured.
async fn perform(
    hub: &Hub,
    op: Operation,
    sink: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), AppError> {
    let settings = SettingsFile::from_env().load()?;
    hub.settings_loaded(&settings);
    let engine = Engine::discover(&settings.engine).await?;
    match op {
        Operation::Start => drop(container::start(&engine, &settings, sink).await?),
        Operation::Stop => {
            sink(stage("Stopping the container"));
            container::stop(&engine, &settings).await?;
        }
        Operation::Restart => drop(container::restart(&engine, &settings, sink).await?),
        Operation::Pull => {
            if settings.image_sources.is_empty() {
                return Err(SettingsError::Invalid {
                    key: "image_sources".into(),
                    reason: "is empty, so there is nothing to pull from".into(),
                }
                .into());
            }
            image::pull(&engine, &settings.image_sources, &settings.image, sink).await?;
        }
        Operation::Build => {
            let source = BuildSource::from_setting(settings.build_context.as_deref());
            container::build_image(&engine, &settings, &source, sink).await?;
        }
        Operation::Update => occ_core::update::update(&engine, &settings, sink).await?,
        Operation::RemoveContainer => {
            sink(stage("Removing the container (volumes are kept)"));
            container::remove(&engine, &settings).await?;
        }
        Operation::NewPassword => {
            sink(stage("Writing a new password"));
            let file = SettingsFile::from_env();
            occ_core::rotate::rotate_password(&engine, &file, sink).await?;
            hub.settings_loaded(&file.load()?);
        }
    }
    Ok(())
}

fn stage(message: &str) -> Progress {
    Progress::Stage {
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Operation; 8] = [
        Operation::Start,
        Operation::Stop,
        Operation::Restart,
        Operation::Pull,
        Operation::Build,
        Operation::Update,
        Operation::RemoveContainer,
        Operation::NewPassword,
    ];

    #[test]
    fn an_idle_gate_admits_any_operation() {
        for op in ALL {
            let mut gate = Gate::default();
            assert_eq!(gate.begin(op), Ok(()));
            assert_eq!(gate.running(), Some(op));
        }
    }

    #[test]
    fn a_request_while_one_runs_is_busy_and_names_the_running_one() {
        let mut gate = Gate::default();
        gate.begin(Operation::Start).expect("idle");
        for op in ALL {
            let err = gate.begin(op).expect_err("busy");
            assert_eq!(err.kind, "busy");
            assert_eq!(err.message, "Already starting: wait for it to finish.");
        }
        // The busy answer leaves the running operation in place.
        assert_eq!(gate.running(), Some(Operation::Start));
    }

    #[test]
    fn the_busy_message_uses_the_running_verb() {
        let mut gate = Gate::default();
        gate.begin(Operation::Pull).expect("idle");
        let err = gate.begin(Operation::Stop).expect_err("busy");
        assert_eq!(
            err.message,
            "Already pulling the image: wait for it to finish."
        );
    }

    #[test]
    fn finishing_frees_the_slot() {
        let mut gate = Gate::default();
        gate.begin(Operation::Build).expect("idle");
        gate.finish();
        assert_eq!(gate.running(), None);
        assert_eq!(gate.begin(Operation::Stop), Ok(()));
    }

    #[test]
    fn names_match_the_commands() {
        let names: Vec<&str> = ALL.iter().map(|op| op.name()).collect();
        assert_eq!(
            names,
            [
                "start",
                "stop",
                "restart",
                "pull",
                "build",
                "update",
                "remove_container",
                "new_password"
            ]
        );
        let json = serde_json::to_value(Operation::RemoveContainer).expect("json");
        assert_eq!(json, "remove_container");
    }
}
