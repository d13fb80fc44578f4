//! What a running operation is doing now, in one line for the status headline: "Building the
//! image — step 11 of 12", "Downloading the image — 45 % (120 MB of 270 MB, 2 min left)",
//! "Waiting for opencode to answer…". Folded from the operation's `Progress` events.

use std::time::{Duration, Instant};

use crate::format;
use crate::progress::{Bytes, Progress};

/// The latest phase of an operation, as far as its progress tells.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Begun,
    Stage(String),
    PullStarted,
    Pulling(Bytes),
    Building { step: u32, total: u32 },
    WaitingForHealth,
}

/// An operation's progress so far. `apply` each event as it comes.
#[derive(Debug, Clone)]
pub struct Activity {
    /// What the operation does, e.g. "pulling the image" (its own words, for before any event).
    doing: &'static str,
    phase: Phase,
    /// The first moment bytes were seen, and how many: the download rate is measured from there.
    first_bytes: Option<(Instant, u64)>,
    /// The rate's latest estimate, in bytes per second.
    rate: Option<f64>,
}

/// The rate needs this much time behind it before a "time left" is worth saying.
const RATE_AFTER: Duration = Duration::from_secs(2);

impl Activity {
    pub fn new(doing: &'static str) -> Activity {
        Activity {
            doing,
            phase: Phase::Begun,
            first_bytes: None,
            rate: None,
        }
    }

    pub fn doing(&self) -> &'static str {
        self.doing
    }

    /// Getting or making the image: minutes, not seconds (worth telling the person they can
    /// leave it running).
    pub fn is_long(&self) -> bool {
        matches!(
            self.phase,
            Phase::PullStarted | Phase::Pulling(_) | Phase::Building { .. }
        ) || self.doing.contains("image")
    }

    pub fn apply(&mut self, progress: &Progress) {
        self.apply_at(progress, Instant::now());
    }

    fn apply_at(&mut self, progress: &Progress, now: Instant) {
        match progress {
            Progress::Stage { message } => self.phase = Phase::Stage(message.clone()),
            Progress::PullStarted { .. } | Progress::PullSourceFailed { .. } => {
                self.phase = Phase::PullStarted;
                self.first_bytes = None;
                self.rate = None;
            }
            Progress::PullLayer { overall, .. } => {
                match self.first_bytes {
                    None => self.first_bytes = Some((now, overall.current)),
                    Some((since, at_first)) => {
                        let elapsed = now.duration_since(since);
                        if elapsed >= RATE_AFTER {
                            let done = overall.current.saturating_sub(at_first) as f64;
                            self.rate = Some(done / elapsed.as_secs_f64());
                        }
                    }
                }
                self.phase = Phase::Pulling(*overall);
            }
            Progress::BuildStep { step, total, .. } => {
                self.phase = Phase::Building {
                    step: *step,
                    total: *total,
                }
            }
            Progress::WaitingForHealth { .. } => self.phase = Phase::WaitingForHealth,
            Progress::PullFinished { .. }
            | Progress::BuildCached { .. }
            | Progress::BuildLog { .. }
            | Progress::BuildFinished { .. } => {}
        }
    }

    /// The headline for the operation as it is now.
    pub fn headline(&self) -> String {
        match &self.phase {
            Phase::Begun => sentence(self.doing),
            Phase::Stage(message) => sentence(message),
            Phase::PullStarted => "Downloading the image…".to_string(),
            Phase::Pulling(bytes) if bytes.total > 0 => {
                let percent = (bytes.current.min(bytes.total) * 100) / bytes.total;
                let left = self
                    .rate
                    .filter(|r| *r > 0.0)
                    .map(|rate| {
                        let secs = bytes.total.saturating_sub(bytes.current) as f64 / rate;
                        format!(", {} left", rough_duration(secs))
                    })
                    .unwrap_or_default();
                format!(
                    "Downloading the image — {percent} % ({} of {}{left})",
                    format::bytes(bytes.current),
                    format::bytes(bytes.total)
                )
            }
            Phase::Pulling(_) => "Downloading the image…".to_string(),
            Phase::Building { step, total } => {
                format!("Building the image — step {step} of {total}")
            }
            Phase::WaitingForHealth => "Waiting for opencode to answer…".to_string(),
        }
    }
}

/// "pulling the image" → "Pulling the image…"
fn sentence(text: &str) -> String {
    let text = text.trim_end_matches(['.', '…']);
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}…", chars.as_str())
}

/// Time left, as precisely as an estimate deserves: "40 s", "2 min", "1 h 05 min".
fn rough_duration(secs: f64) -> String {
    let secs = secs.round() as u64;
    if secs < 60 {
        format!("{} s", secs.max(1))
    } else if secs < 3600 {
        format!("{} min", secs.div_ceil(60))
    } else {
        format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(current: u64, total: u64) -> Progress {
        Progress::PullLayer {
            id: "a".into(),
            status: "Downloading".into(),
            current: Some(current),
            total: Some(total),
            overall: Bytes { current, total },
        }
    }

    #[test]
    fn a_start_reads_as_its_phases() {
        let mut a = Activity::new("starting");
        assert_eq!(a.headline(), "Starting…");
        a.apply(&Progress::Stage {
            message: "Creating volumes".into(),
        });
        assert_eq!(a.headline(), "Creating volumes…");
        a.apply(&Progress::BuildStep {
            step: 11,
            total: 12,
            instruction: "RUN make".into(),
        });
        a.apply(&Progress::BuildLog {
            line: "ok".into(),
            bookkeeping: false,
        });
        assert_eq!(a.headline(), "Building the image — step 11 of 12");
        a.apply(&Progress::WaitingForHealth {
            url: "http://127.0.0.1:3000/".into(),
            elapsed_secs: 1,
            timeout_secs: 120,
        });
        assert_eq!(a.headline(), "Waiting for opencode to answer…");
    }

    #[test]
    fn a_pull_shows_bytes_then_time_left_once_the_rate_is_known() {
        let t0 = Instant::now();
        let mut a = Activity::new("pulling the image");
        a.apply_at(
            &Progress::PullStarted {
                source: "r/x:1".into(),
            },
            t0,
        );
        assert_eq!(a.headline(), "Downloading the image…");
        a.apply_at(&layer(0, 270_000_000), t0);
        assert_eq!(a.headline(), "Downloading the image — 0 % (0 B of 270 MB)");
        // 120 MB in 80 s: 1.5 MB/s, 150 MB left → 100 s → "2 min".
        a.apply_at(
            &layer(120_000_000, 270_000_000),
            t0 + Duration::from_secs(80),
        );
        assert_eq!(
            a.headline(),
            "Downloading the image — 44 % (120 MB of 270 MB, 2 min left)"
        );
    }

    #[test]
    fn rough_durations() {
        assert_eq!(rough_duration(0.2), "1 s");
        assert_eq!(rough_duration(40.0), "40 s");
        assert_eq!(rough_duration(100.0), "2 min");
        assert_eq!(rough_duration(3900.0), "1 h 05 min");
    }
}
