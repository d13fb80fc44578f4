//! Terminal rendering of the progress stream: bars on a terminal, plain lines otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use occ_core::engines::FoundEngine;
use occ_core::{Progress, StatusView};

pub struct Terminal {
    bars: MultiProgress,
    /// One spinner for stages, build steps and the health wait.
    main: ProgressBar,
    layers: HashMap<String, ProgressBar>,
    interactive: bool,
}

impl Terminal {
    pub fn new() -> Terminal {
        let bars = MultiProgress::new();
        let main = bars.add(ProgressBar::new_spinner());
        main.set_style(
            ProgressStyle::with_template("{spinner:.cyan} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        main.enable_steady_tick(Duration::from_millis(120));
        Terminal {
            bars,
            main,
            layers: HashMap::new(),
            interactive: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&mut self, progress: Progress) {
        match progress {
            Progress::Stage { message } => self.say(message),
            Progress::PullStarted { source } => self.say(format!("Pulling {source}")),
            Progress::PullLayer {
                id,
                status,
                current,
                total,
                ..
            } => self.layer(&id, &status, current, total),
            Progress::PullSourceFailed { source, reason } => {
                self.say(format!("Could not pull {source}: {reason}"));
            }
            Progress::PullFinished { source, image } => {
                for bar in self.layers.values() {
                    bar.finish();
                }
                self.say(format!("Pulled {source} as {image}"));
            }
            Progress::BuildStep {
                step,
                total,
                instruction,
            } => self.say(format!("Step {step}/{total}: {instruction}")),
            Progress::BuildCached { step } => self.log(format!("  step {step}: cached")),
            Progress::BuildLog {
                line,
                bookkeeping: false,
            } => self.log(format!("  {line}")),
            Progress::BuildLog { .. } => {}
            Progress::BuildFinished { image, duration_ms } => {
                self.say(format!(
                    "Built {image} in {:.1} s",
                    duration_ms as f64 / 1000.0
                ));
            }
            Progress::WaitingForHealth {
                url,
                elapsed_secs,
                timeout_secs,
            } => {
                let text = format!("Waiting for {url} ({elapsed_secs}/{timeout_secs} s)");
                if self.interactive {
                    self.main.set_message(text);
                } else if elapsed_secs % 5 == 0 {
                    eprintln!("{text}");
                }
            }
            _ => {}
        }
    }

    /// A new headline: on a terminal the spinner's text, otherwise its own line.
    fn say(&self, text: String) {
        if self.interactive {
            self.main.set_message(text);
        } else {
            eprintln!("{text}");
        }
    }

    /// A line of output that stays above the bars.
    fn log(&self, text: String) {
        if self.interactive {
            let _ = self.bars.println(text);
        } else {
            eprintln!("{text}");
        }
    }

    fn layer(&mut self, id: &str, status: &str, current: Option<u64>, total: Option<u64>) {
        if !self.interactive {
            // Byte updates would flood a log; status changes are enough.
            if current.is_none() || matches!(status, "Pull complete" | "Already exists") {
                eprintln!("{id}: {status}");
            }
            return;
        }
        let bar = self.layers.entry(id.to_string()).or_insert_with(|| {
            let bar = self.bars.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template("{prefix} {bar:30} {bytes}/{total_bytes} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(id.to_string());
            bar
        });
        if let Some(t) = total {
            bar.set_length(t);
        }
        if let Some(c) = current {
            bar.set_position(c);
        }
        bar.set_message(status.to_string());
    }

    pub fn finish(&self) {
        self.main.finish_and_clear();
    }
}

/// The status as every surface words it: the headline, the advice under it if any, and the
/// engine it was read from.
pub fn status_text(view: &StatusView) -> String {
    let mut text = view.headline.clone();
    if !view.detail.is_empty() {
        text = format!("{text}\n{}", view.detail);
    }
    if !view.engine.is_empty() {
        text = format!("{text}\nEngine: {}", view.engine);
    }
    text
}

/// One line per endpoint: `*` marks the one in use.
pub fn engines_text(found: &[FoundEngine], setting: &str) -> String {
    let mut lines: Vec<String> = found
        .iter()
        .map(|f| match (&f.engine, &f.problem) {
            (Some(e), _) => format!(
                "{} {}{}",
                if f.selected { "*" } else { " " },
                e.summary,
                if f.selected { " (in use)" } else { "" }
            ),
            (None, problem) => format!(
                "  - {} ({}): {}",
                f.endpoint,
                f.source,
                problem.as_deref().unwrap_or("no answer")
            ),
        })
        .collect();
    lines.push(format!(
        "engine setting: {setting} (change it with `occ config set engine <endpoint or context>`)"
    ));
    lines.join("\n")
}

/// `occ status --disk`: one line per thing, sizes as `docker system df` writes them.
pub fn disk_text(usage: &occ_core::disk::DiskUsage) -> String {
    use occ_core::format::docker_size;
    let mut out = String::from("disk:\n");
    match &usage.image {
        Some(i) => out.push_str(&format!(
            "  image {}: {} ({} shared with other images)\n",
            i.name,
            docker_size(i.size, 3),
            docker_size(i.shared_size, 4)
        )),
        None => out.push_str("  image: not on this machine\n"),
    }
    for v in &usage.volumes {
        let size = v
            .size
            .map_or("not created".to_string(), |s| docker_size(s, 4));
        out.push_str(&format!("  volume {}: {size}\n", v.name));
    }
    out.push_str(&format!(
        "  old images and their build cache (occ clean removes them): {} in {}\n",
        docker_size(usage.dangling.size, 3),
        usage.dangling.count
    ));
    out.push_str(&format!(
        "  the engine's BuildKit cache (all builds on this engine; not ours to clean): {}\n",
        docker_size(usage.engine_build_cache.size, 3)
    ));
    out
}
