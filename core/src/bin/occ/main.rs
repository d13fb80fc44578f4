//! `occ`: the opencode container from the terminal. Parses, calls the library, renders progress.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use occ_core::container;
use occ_core::image::{self, BuildSource};
use occ_core::{Engine, Error, Settings, SettingsFile};

mod mount;
mod render;

#[derive(Parser)]
#[command(
    name = "occ",
    version,
    about = "Run the opencode web server in a Docker container"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Get the image if needed, create volumes and container, start it, wait until it answers
    Start,
    /// Stop the container gracefully
    Stop,
    /// Stop, then start
    Restart,
    /// Show the instance's state
    Status {
        /// One JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Also what the image, the volumes and the caches take on disk
        #[arg(long)]
        disk: bool,
    },
    /// Remove this instance's old, untagged images and the build cache they hold; never volumes
    Clean,
    /// Show the container's output
    Logs {
        /// Keep printing new lines
        #[arg(short, long)]
        follow: bool,
        /// How many of the last lines to show
        #[arg(short = 'n', long, default_value_t = 100)]
        lines: usize,
    },
    /// Pull the image from the configured sources, in order
    Pull,
    /// Build the image from the embedded Dockerfile (or a folder with a Dockerfile)
    Build {
        /// Build this folder instead of the embedded Dockerfile or the `build_context` setting
        #[arg(long)]
        context: Option<PathBuf>,
    },
    /// Pull or rebuild the image, then recreate the container on it if it runs (volumes kept);
    /// back to the previous image if the new one does not come up
    Update {
        /// Only say whether the source has a newer image (nothing is downloaded)
        #[arg(long)]
        check: bool,
    },
    /// Go back to the image that ran before the last update (volumes kept)
    Rollback,
    /// Remove the container; the volumes and your work in them stay
    Remove,
    /// Delete volumes and everything in them. Name each volume to delete
    RemoveVolumes {
        /// Volume names, e.g. opencode-cloud-session opencode-cloud-projects opencode-cloud-config
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Host folders mounted into the container
    Mount {
        #[command(subcommand)]
        action: mount::MountAction,
    },
    /// List the container engines found on this machine and which one is used
    Engines {
        /// One JSON array instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print the user, password and address to log in to opencode (only this command shows them)
    Credentials {
        /// Replace the password with a new random one; a running container is recreated on it
        /// (volumes kept)
        #[arg(long)]
        rotate: bool,
    },
    /// Show or change settings
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print every setting and the file they live in
    Show,
    /// Print one setting
    Get { key: String },
    /// Change one setting (the value is JSON when it parses as JSON, else text)
    Set {
        key: String,
        /// Taken as given, also when it starts with '-' (a negative port gets its own message)
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = tokio::select! {
        outcome = run(cli.command) => outcome,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the operation cancels it; the engine stops a build or pull whose client left.
            eprintln!("\ncancelled");
            return ExitCode::from(130);
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, Error> {
    let file = SettingsFile::from_env();
    // Said once: the file is saved without what was migrated.
    let (settings, notices) = file.load_migrating()?;
    for notice in notices {
        eprintln!("note: {notice}");
    }
    if let Command::Config { action } = command {
        return config(&file, action);
    }
    if let Command::Mount { action } = command {
        return mount::run(&file, action).await;
    }
    match command {
        Command::Status { json, disk } => return status(&settings, json, disk).await,
        Command::Engines { json } => return engines(&settings, json).await,
        _ => {}
    }
    if let Command::Credentials { rotate: false } = command {
        return Ok(print_credentials(&file, &settings));
    }
    let engine = Engine::discover(&settings.engine).await?;
    let mut progress = render::Terminal::new();
    let sink = &mut |p| progress.show(p);
    match command {
        Command::Start => {
            let report = container::start(&engine, &settings, sink).await?;
            progress.finish();
            for volume in report.created_volumes {
                println!("created volume {volume}");
            }
            println!("opencode is running at {}", settings.url());
            if let Some(note) = mount::ownership_note(&engine, &settings).await? {
                eprintln!("note: {note}");
            }
        }
        Command::Stop => {
            container::stop(&engine, &settings).await?;
            println!("stopped {}", settings.container_name());
        }
        Command::Restart => {
            container::restart(&engine, &settings, sink).await?;
            progress.finish();
            println!("opencode is running at {}", settings.url());
        }
        Command::Logs { follow, lines } => {
            let mut stream = Box::pin(occ_core::logs::follow(&engine, &settings, lines, follow));
            while let Some(chunk) = stream.next().await {
                for line in chunk? {
                    println!("{line}");
                }
            }
        }
        Command::Pull => {
            let source =
                image::pull(&engine, &settings.image_sources, &settings.image, sink).await?;
            progress.finish();
            println!("pulled {source} as {}", settings.image);
        }
        Command::Build { context } => {
            let source = match context {
                Some(dir) => BuildSource::Dir(dir),
                None => BuildSource::from_setting(settings.build_context.as_deref()),
            };
            let id = container::build_image(&engine, &settings, &source, sink).await?;
            progress.finish();
            println!("built {} ({id})", settings.image);
        }
        Command::Update { check: true } => {
            println!(
                "{}",
                occ_core::update::check(&engine, &settings)
                    .await?
                    .describe()
            );
        }
        Command::Update { check: false } => {
            occ_core::update::update(&engine, &settings, sink).await?;
            progress.finish();
            println!("updated {}", settings.image);
        }
        Command::Clean => {
            let cleaned = occ_core::disk::clean(&engine, &settings).await?;
            println!(
                "removed {} old image record(s) of {}, freed {}; volumes untouched",
                cleaned.images_deleted,
                settings.instance,
                occ_core::format::docker_size(cleaned.space_freed, 3)
            );
        }
        Command::Rollback => {
            occ_core::update::rollback(&engine, &settings, sink).await?;
            progress.finish();
            println!("back on the previous image of {}", settings.image);
        }
        Command::Remove => {
            container::remove(&engine, &settings).await?;
            println!(
                "removed container {}; volumes kept",
                settings.container_name()
            );
        }
        Command::RemoveVolumes { names } => {
            return remove_volumes(&engine, &settings, &names).await
        }
        Command::Credentials { .. } => {
            let rotated = occ_core::rotate::rotate_password(&engine, &file, sink).await?;
            progress.finish();
            println!(
                "new password stored in {}; `occ credentials` shows it",
                occ_core::credentials::path_in(file.dir()).display()
            );
            match rotated {
                occ_core::rotate::Rotated::Recreated => {
                    println!("the container was recreated on it (volumes kept)")
                }
                occ_core::rotate::Rotated::AtNextStart => {
                    println!("the container takes it at its next start")
                }
            }
            if !settings.require_password {
                println!("require_password is false, so the server does not ask for it");
            }
        }
        Command::Status { .. }
        | Command::Engines { .. }
        | Command::Config { .. }
        | Command::Mount { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(settings: &Settings, json: bool, disk: bool) -> Result<ExitCode, Error> {
    let (status, ownership, usage, error) = match Engine::discover(&settings.engine).await {
        Ok(engine) => (
            occ_core::status::current(&engine, settings).await?,
            mount::ownership_note(&engine, settings).await?,
            match disk {
                true => Some(occ_core::disk::usage(&engine, settings).await?),
                false => None,
            },
            None,
        ),
        Err(e) if e.is_unreachable() => (
            occ_core::Status::unreachable_because(settings, &e),
            None,
            None,
            Some(e),
        ),
        Err(e) => return Err(e),
    };
    let view = occ_core::status_view(Some(&status), None);
    if json {
        let mut value = serde_json::to_value(&status).unwrap_or_default();
        value["view"] = serde_json::to_value(&view).unwrap_or_default();
        value["ownership"] = serde_json::json!(ownership);
        if let Some(usage) = &usage {
            value["disk"] = serde_json::to_value(usage).unwrap_or_default();
        }
        println!("{value}");
    } else if error.is_some() {
        // The advice is the error, printed below.
        println!("{}", view.headline);
    } else {
        println!("{}", render::status_text(&view));
        if let Some(note) = ownership {
            println!("note: {note}");
        }
        if let Some(usage) = &usage {
            print!("{}", render::disk_text(usage));
        }
    }
    match error {
        Some(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

async fn engines(settings: &Settings, json: bool) -> Result<ExitCode, Error> {
    let found = occ_core::engines::list(&settings.engine).await?;
    if json {
        println!("{}", serde_json::to_string(&found).unwrap_or_default());
    } else {
        println!("{}", render::engines_text(&found, &settings.engine));
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove_volumes(
    engine: &Engine,
    settings: &Settings,
    names: &[String],
) -> Result<ExitCode, Error> {
    let removed = occ_core::volume::remove(engine, settings, names).await?;
    for name in removed {
        println!("deleted volume {name}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The login, on request only: nothing else prints the password.
fn print_credentials(file: &SettingsFile, settings: &Settings) -> ExitCode {
    match settings.credentials().filter(|_| settings.require_password) {
        Some(c) => {
            println!("user:     {}", c.username());
            println!("password: {}", c.password());
            println!("url:      {}", settings.url());
            println!(
                "(kept in {}; `occ credentials --rotate` makes a new one)",
                occ_core::credentials::path_in(file.dir()).display()
            );
            ExitCode::SUCCESS
        }
        None => {
            println!(
                "The server asks for no password: require_password is false. Turn it on with \
                 `occ config set require_password true`."
            );
            println!("url:      {}", settings.url());
            ExitCode::SUCCESS
        }
    }
}

fn config(file: &SettingsFile, action: ConfigAction) -> Result<ExitCode, Error> {
    match action {
        ConfigAction::Show => {
            let settings = file.load()?;
            println!("# {}", file.path().display());
            println!(
                "{}",
                serde_json::to_string_pretty(&settings).unwrap_or_default()
            );
        }
        ConfigAction::Get { key } => {
            let value = file.load()?.get(&key)?;
            match value {
                serde_json::Value::String(s) => println!("{s}"),
                other => println!("{other}"),
            }
        }
        ConfigAction::Set { key, value } => {
            let updated = file.load()?.with(&key, &value)?;
            file.save(&updated)?;
            println!("{key} = {}", updated.get(&key)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
