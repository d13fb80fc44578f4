//! `occ mount add|remove|list`: host folders in the container.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use occ_core::mounts::{self, FolderMount};
use occ_core::{Engine, Error, Settings, SettingsFile};

#[derive(Subcommand)]
pub enum MountAction {
    /// Mount a host folder (by default at /home/opencode/workspace/<folder name>); takes effect
    /// on the next start
    Add {
        /// HOST or HOST:CONTAINER, e.g. ~/code/app or ~/code/app:/home/opencode/workspace/app
        spec: String,
        /// The container may read the folder but not change it
        #[arg(long)]
        read_only: bool,
    },
    /// Unmount a folder, named by its host or container path; takes effect on the next start
    Remove { path: String },
    /// List the mounted folders
    List,
}

/// The ownership note ([`occ_core::ownership::note`]) when there are mounted folders.
pub async fn ownership_note(engine: &Engine, settings: &Settings) -> Result<Option<String>, Error> {
    if settings.mounts.is_empty() {
        return Ok(None);
    }
    occ_core::ownership::note(engine, settings).await
}

pub async fn run(file: &SettingsFile, action: MountAction) -> Result<ExitCode, Error> {
    let settings = file.load()?;
    match action {
        MountAction::Add { spec, read_only } => {
            let (host, container) = split_spec(&spec);
            let mount = FolderMount {
                host,
                container,
                read_only,
            };
            let (updated, warnings) = mounts::add(&settings, mount.clone())?;
            file.save(&updated)?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            println!(
                "mounted {} at {}{} (from the next `occ start`)",
                mount.host_text(),
                mount.target(),
                if read_only { " read-only" } else { "" }
            );
            // Said when it applies; an engine that is not there is for `occ start` to report.
            if let Ok(engine) = Engine::discover(&updated.engine).await {
                if let Some(note) = ownership_note(&engine, &updated).await? {
                    eprintln!("note: {note}");
                }
            }
        }
        MountAction::Remove { path } => {
            let updated = mounts::remove(&settings, &path)?;
            file.save(&updated)?;
            println!("unmounted {path} (from the next `occ start`)");
        }
        MountAction::List => {
            for m in &settings.mounts {
                let mode = if m.read_only {
                    "read-only"
                } else {
                    "read-write"
                };
                println!("{}\t{}\t{mode}", m.host_text(), m.target());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `HOST[:CONTAINER]`: a folder that exists under the whole text is the host alone (folder names
/// may hold ':'); else the text after the last ":/" is the container path.
fn split_spec(spec: &str) -> (PathBuf, Option<String>) {
    if Path::new(spec).is_dir() {
        return (PathBuf::from(spec), None);
    }
    match spec.rfind(":/") {
        Some(i) if i > 0 => (PathBuf::from(&spec[..i]), Some(spec[i + 1..].to_string())),
        _ => (PathBuf::from(spec), None),
    }
}
