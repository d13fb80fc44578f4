//! Every engine this machine offers, for a choice in the settings and `occ engines`: the one the
//! `engine` setting leads to, then the platform's well-known endpoints, each asked who it is.

use std::time::Duration;

use serde::Serialize;

use crate::client::{Engine, EngineInfo};
use crate::discovery::{self, Env};
use crate::error::Result;

/// How long one endpoint may take to answer while listing.
const LIST_PING_TIMEOUT: Duration = Duration::from_secs(3);

/// One endpoint and what answered there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundEngine {
    pub endpoint: String,
    /// Where it came from, in words.
    pub source: String,
    /// The engine that answered, or `None`.
    pub engine: Option<EngineInfo>,
    /// Why nothing usable answers there ("no socket there", "nothing answers").
    pub problem: Option<String>,
    /// What to put in the `engine` setting to use it.
    pub setting: String,
    /// Whether the `engine` setting leads here now.
    pub selected: bool,
}

/// The endpoints `setting` leads to first, then the platform's table, without repeats; each is
/// asked who it is unless its socket file does not exist.
pub async fn list(setting: &str) -> Result<Vec<FoundEngine>> {
    list_in(setting, &Env::current()).await
}

pub async fn list_in(setting: &str, env: &Env) -> Result<Vec<FoundEngine>> {
    let chosen = discovery::resolve(setting, env)?;
    let mut candidates = chosen.clone();
    for c in discovery::table(env) {
        if !candidates.iter().any(|k| k.endpoint == c.endpoint) {
            candidates.push(c);
        }
    }
    let mut found = Vec::new();
    let mut selected_taken = false;
    for candidate in candidates {
        let (engine, problem) = match candidate.socket_path() {
            Some(path) if !path.exists() => (None, Some("no socket there".to_string())),
            _ => match Engine::connect_candidate(&candidate, LIST_PING_TIMEOUT).await {
                Ok(engine) => (engine.info().cloned(), None),
                Err(e) => (None, Some(crate::client::short_reason(&e))),
            },
        };
        // The first chosen candidate that answers is the one `Engine::discover` uses.
        let selected = !selected_taken && engine.is_some() && chosen.contains(&candidate);
        selected_taken |= selected;
        found.push(FoundEngine {
            setting: candidate.endpoint.clone(),
            endpoint: candidate.endpoint,
            source: candidate.source.to_string(),
            engine,
            problem,
            selected,
        });
    }
    Ok(found)
}
