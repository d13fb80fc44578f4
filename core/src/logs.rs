//! The container's output: the last lines, or a live follow.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::{Stream, StreamExt};

use crate::client::Engine;
use crate::error::{Error, Result};
use crate::settings::Settings;

fn options(tail: usize, follow: bool) -> LogsOptions {
    LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        tail: tail.to_string(),
        ..Default::default()
    }
}

/// Output chunks as text lines (a chunk may hold several lines or end mid-line; Docker sends
/// whole lines for a non-TTY container in practice).
fn lines(chunk: LogOutput) -> Vec<String> {
    String::from_utf8_lossy(&chunk.into_bytes())
        .lines()
        .map(str::to_string)
        .collect()
}

/// The last `n` lines the container printed.
pub async fn tail(engine: &Engine, settings: &Settings, n: usize) -> Result<Vec<String>> {
    let mut stream = follow(engine, settings, n, false);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend(chunk?);
    }
    Ok(out)
}

/// The last `n` lines, then every new line as it is printed (when `live`), until the container
/// stops or the stream is dropped.
pub fn follow<'a>(
    engine: &'a Engine,
    settings: &Settings,
    n: usize,
    live: bool,
) -> impl Stream<Item = Result<Vec<String>>> + 'a {
    let name = settings.container_name();
    engine
        .api()
        .logs(&name, Some(options(n, live)))
        .map(move |item| {
            item.map(lines).map_err(|e| {
                engine.classify(e, |message| Error::Container {
                    action: "read the logs of",
                    container: name.clone(),
                    message,
                })
            })
        })
}
