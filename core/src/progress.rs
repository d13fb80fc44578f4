//! The one progress stream: what a long operation tells its caller, rendered by the CLI as
//! terminal bars and by the app as events. Byte updates are coalesced per layer so a large pull
//! cannot flood a consumer; a change of a layer's status always goes through.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Progress {
    /// A step of an operation that has no finer progress, e.g. "Creating volumes".
    Stage {
        message: String,
    },
    PullStarted {
        source: String,
    },
    PullLayer {
        id: String,
        status: String,
        current: Option<u64>,
        total: Option<u64>,
        overall: Bytes,
    },
    PullSourceFailed {
        source: String,
        reason: String,
    },
    PullFinished {
        source: String,
        image: String,
    },
    BuildStep {
        step: u32,
        total: u32,
        instruction: String,
    },
    BuildCached {
        step: u32,
    },
    BuildLog {
        line: String,
        /// The classic builder's own bookkeeping (`---> Running in 8641d083937b`, `Removing
        /// intermediate container …`), not the step's output: hidden unless asked for.
        bookkeeping: bool,
    },
    BuildFinished {
        image: String,
        duration_ms: u64,
    },
    WaitingForHealth {
        url: String,
        elapsed_secs: u64,
        timeout_secs: u64,
    },
}

/// Bytes done out of bytes known so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bytes {
    pub current: u64,
    pub total: u64,
}

/// Where progress goes. `&mut dyn FnMut(Progress)` keeps the core free of any channel choice.
pub type Sink<'a> = &'a mut (dyn FnMut(Progress) + Send);

/// Per-layer pull state, turning the engine's status lines into `PullLayer` events with an
/// overall figure, and dropping byte updates that come faster than `interval` for one layer.
pub struct PullTracker {
    interval: Duration,
    layers: HashMap<String, LayerState>,
}

struct LayerState {
    status: String,
    current: u64,
    total: u64,
    last_emit: Instant,
    done: bool,
}

/// The most a consumer hears about one layer's bytes per second, roughly.
pub const LAYER_UPDATES_PER_SECOND: u32 = 10;

impl Default for PullTracker {
    fn default() -> Self {
        PullTracker::new(Duration::from_secs(1) / LAYER_UPDATES_PER_SECOND)
    }
}

impl PullTracker {
    pub fn new(interval: Duration) -> PullTracker {
        PullTracker {
            interval,
            layers: HashMap::new(),
        }
    }

    /// Records one status line of a layer; returns the event to emit, or `None` when it is only
    /// a byte update inside the coalescing interval.
    pub fn update(
        &mut self,
        id: &str,
        status: &str,
        current: Option<u64>,
        total: Option<u64>,
    ) -> Option<Progress> {
        self.update_at(id, status, current, total, Instant::now())
    }

    fn update_at(
        &mut self,
        id: &str,
        status: &str,
        current: Option<u64>,
        total: Option<u64>,
        now: Instant,
    ) -> Option<Progress> {
        let done = is_layer_done(status);
        let interval = self.interval;
        let layer = self.layers.entry(id.to_string()).or_insert(LayerState {
            status: String::new(),
            current: 0,
            total: 0,
            last_emit: now.checked_sub(interval).unwrap_or(now),
            done: false,
        });
        let status_changed = layer.status != status;
        layer.status = status.to_string();
        if let Some(t) = total.filter(|t| *t > 0) {
            layer.total = t;
        }
        if let Some(c) = current {
            layer.current = c;
        }
        // The engine's numbers are not to be trusted blindly: never more done than there is.
        if layer.total > 0 && (done || layer.current > layer.total) {
            layer.current = layer.total;
        }
        layer.done = done;
        let due = now.duration_since(layer.last_emit) >= interval;
        if !(status_changed || done || due) {
            return None;
        }
        layer.last_emit = now;
        let (cur, tot) = (layer.current, layer.total);
        Some(Progress::PullLayer {
            id: id.to_string(),
            status: status.to_string(),
            current: (tot > 0 || current.is_some()).then_some(cur),
            total: (tot > 0).then_some(tot),
            overall: self.overall(),
        })
    }

    /// Bytes over all layers whose size is known (saturating: the figures come from outside).
    pub fn overall(&self) -> Bytes {
        self.layers
            .values()
            .filter(|l| l.total > 0)
            .fold(Bytes::default(), |acc, l| Bytes {
                current: acc.current.saturating_add(l.current.min(l.total)),
                total: acc.total.saturating_add(l.total),
            })
    }

    /// The final state of every layer the engine left unfinished, once the pull succeeded.
    /// Podman never says "Extracting" or "Pull complete": its layers end at "Download complete".
    pub fn finish(&mut self) -> Vec<Progress> {
        let mut open: Vec<String> = self
            .layers
            .iter()
            .filter(|(_, l)| !matches!(l.status.as_str(), "Pull complete" | "Already exists"))
            .map(|(id, _)| id.clone())
            .collect();
        open.sort();
        let mut events = Vec::new();
        for id in open {
            if let Some(layer) = self.layers.get_mut(&id) {
                layer.status = "Pull complete".to_string();
                layer.current = layer.total;
                layer.done = true;
                let (cur, tot) = (layer.current, layer.total);
                events.push(Progress::PullLayer {
                    id,
                    status: "Pull complete".to_string(),
                    current: (tot > 0).then_some(cur),
                    total: (tot > 0).then_some(tot),
                    overall: self.overall(),
                });
            }
        }
        events
    }

    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }
}

/// Status lines after which a layer has nothing more to do.
fn is_layer_done(status: &str) -> bool {
    matches!(
        status,
        "Pull complete" | "Already exists" | "Download complete" | "Layer already exists"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer_events(events: &[Option<Progress>]) -> usize {
        events.iter().flatten().count()
    }

    #[test]
    fn byte_updates_are_coalesced_but_status_changes_are_not() {
        let mut t = PullTracker::new(Duration::from_millis(100));
        let start = Instant::now();
        let mut out = vec![t.update_at("a", "Downloading", Some(0), Some(1000), start)];
        // 50 byte updates within 50 ms: at most one more gets through.
        for i in 1..=50 {
            out.push(t.update_at(
                "a",
                "Downloading",
                Some(i * 10),
                Some(1000),
                start + Duration::from_millis(i),
            ));
        }
        assert_eq!(layer_events(&out), 1);
        let done = t.update_at(
            "a",
            "Pull complete",
            None,
            None,
            start + Duration::from_millis(60),
        );
        match done {
            Some(Progress::PullLayer {
                status,
                current,
                total,
                overall,
                ..
            }) => {
                assert_eq!(status, "Pull complete");
                assert_eq!((current, total), (Some(1000), Some(1000)));
                assert_eq!(
                    overall,
                    Bytes {
                        current: 1000,
                        total: 1000
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overall_sums_layers() {
        let mut t = PullTracker::new(Duration::ZERO);
        let now = Instant::now();
        t.update_at("a", "Downloading", Some(10), Some(100), now);
        t.update_at("b", "Downloading", Some(20), Some(200), now);
        assert_eq!(
            t.overall(),
            Bytes {
                current: 30,
                total: 300
            }
        );
        assert_eq!(t.layer_count(), 2);
    }

    #[test]
    fn outside_numbers_neither_overflow_nor_exceed_the_total() {
        let now = Instant::now();
        let mut t = PullTracker::new(Duration::ZERO);
        for id in ["a", "b", "c"] {
            t.update_at(id, "Downloading", Some(u64::MAX), Some(u64::MAX - 1), now);
        }
        // A layer of unknown size is not part of the overall figure.
        t.update_at("d", "Downloading", Some(500), None, now);
        assert_eq!(
            t.overall(),
            Bytes {
                current: u64::MAX,
                total: u64::MAX
            }
        );
        match t.update_at("e", "Downloading", Some(150), Some(100), now) {
            Some(Progress::PullLayer { current, .. }) => assert_eq!(current, Some(100)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serializes_as_tagged_json() {
        let json = serde_json::to_value(Progress::BuildCached { step: 2 }).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"event": "buildCached", "data": {"step": 2}})
        );
    }

    #[test]
    fn a_pull_without_pull_complete_still_ends_complete() {
        // Podman's compat API: no "Extracting", no "Pull complete".
        let mut t = PullTracker::new(Duration::ZERO);
        t.update("a", "Pulling fs layer", None, None);
        t.update("a", "Downloading", Some(400), Some(1000));
        t.update("a", "Download complete", None, None);
        t.update("b", "Already exists", None, None);
        let events = t.finish();
        assert_eq!(events.len(), 1, "{events:?}");
        match &events[0] {
            Progress::PullLayer {
                id,
                status,
                current,
                overall,
                ..
            } => {
                assert_eq!((id.as_str(), status.as_str()), ("a", "Pull complete"));
                assert_eq!(*current, Some(1000));
                assert_eq!(overall.current, overall.total);
            }
            other => panic!("{other:?}"),
        }
        assert!(t.finish().is_empty(), "said once");
    }
}
