//! What the container may do and how much it may use. Least privilege is fixed: no new
//! privileges (a setuid binary cannot raise its rights), every capability dropped, a process
//! limit. The resource limits come from the settings `memory`, `cpus`, `pids` and `runtime`,
//! checked here twice: their grammar with the other settings ([`validate`]), and what only the
//! engine knows (its CPUs, memory and runtimes) when a container is about to be made ([`resolve`]).

use bollard::models::HostConfig;

use crate::client::Engine;
use crate::error::{Error, Result};
use crate::settings::{Settings, SettingsError};

/// Docker's spelling of the `no_new_privs` bit for the container's processes.
pub const NO_NEW_PRIVILEGES: &str = "no-new-privileges";
/// The default process-count limit: ample for builds and language servers, a wall for fork bombs.
pub const DEFAULT_PIDS: u32 = 4096;
/// Below this opencode's own runtime, a shell and a build tool no longer fit.
pub const MIN_PIDS: u32 = 64;
/// The kernel's largest pid.
pub const MAX_PIDS: u32 = 4_194_304;
/// Docker refuses memory limits below 6 MiB.
pub const MIN_MEMORY: u64 = 6 * MIB;
/// The `memory` value that turns the limit off.
pub const UNLIMITED: &str = "unlimited";

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;
const TIB: u64 = 1024 * GIB;

/// The `cpus` setting: how many CPUs' worth of time the container may use (2.5 is two and a
/// half). A newtype so that `Settings` stays `Eq`; JSON cannot carry the one value (NaN) that
/// would break it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Cpus(pub f64);

impl Eq for Cpus {}

/// The limits a container is created with, once the engine has been asked what it offers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Bytes, `None` for no limit.
    pub memory: Option<u64>,
    /// Billionths of a CPU, as Docker counts them; `None` for no limit.
    pub nano_cpus: Option<i64>,
    pub pids: u32,
    /// `None` for the engine's default runtime.
    pub runtime: Option<String>,
}

/// What the `memory` setting asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// Not set: three quarters of the memory the engine has, so a runaway build is stopped
    /// before the machine itself runs out, while any real workload still fits.
    Auto,
    Unlimited,
    Bytes(u64),
}

/// Reads `"4g"`, `"512m"`, `"1.5GiB"`, `"300000k"`, a plain number of bytes, or `"unlimited"`.
pub fn parse_memory(text: &str) -> std::result::Result<Memory, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case(UNLIMITED) {
        return Ok(Memory::Unlimited);
    }
    let lower = trimmed.to_ascii_lowercase();
    let number_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(number_end);
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b').filter(|u| !u.is_empty()))
        .unwrap_or(unit);
    let scale = match unit {
        "" | "b" => 1,
        "k" => KIB,
        "m" => MIB,
        "g" => GIB,
        "t" => TIB,
        _ => return Err(memory_grammar(text)),
    };
    let value: f64 = number.parse().map_err(|_| memory_grammar(text))?;
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(format!("is {text:?}, more than any machine has"));
    }
    let bytes = bytes as u64;
    if bytes < MIN_MEMORY {
        return Err(format!(
            "is {text:?}, below the 6m Docker needs at least; opencode wants 1g or more"
        ));
    }
    Ok(Memory::Bytes(bytes))
}

fn memory_grammar(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!(
        "is {shown:?}; write a size such as \"4g\" or \"512m\" (k, m, g, t), \"{UNLIMITED}\", or \
         null for three quarters of the memory Docker has"
    )
}

fn invalid(key: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// The grammar of `memory`, `cpus`, `pids` and `runtime` (part of `Settings::validate`).
pub fn validate(settings: &Settings) -> std::result::Result<(), SettingsError> {
    if let Some(memory) = &settings.memory {
        parse_memory(memory).map_err(|r| invalid("memory", r))?;
    }
    if let Some(cpus) = settings.cpus {
        let cpus = cpus.0;
        if !(0.01..=1024.0).contains(&cpus) {
            return Err(invalid(
                "cpus",
                format!("must be a number of CPUs from 0.01 to 1024 such as 2.5, or null for no limit, not {cpus}"),
            ));
        }
    }
    if !(MIN_PIDS..=MAX_PIDS).contains(&settings.pids) {
        return Err(invalid(
            "pids",
            format!(
                "must be a whole number of processes from {MIN_PIDS} to {MAX_PIDS}, not {}",
                settings.pids
            ),
        ));
    }
    if let Some(runtime) = &settings.runtime {
        let ok = !runtime.is_empty()
            && runtime.len() <= 64
            && runtime
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(invalid(
                "runtime",
                "must be the name of a runtime Docker offers, such as \"runsc\", or null for \
                 Docker's default",
            ));
        }
    }
    Ok(())
}

/// The limits for these settings on this engine: `memory` not set becomes a share of the
/// engine's memory, and a `cpus` or `runtime` the engine cannot honour is refused (naming the
/// key) before anything is changed.
pub async fn resolve(engine: &Engine, settings: &Settings) -> Result<Limits> {
    let info = engine
        .api()
        .info()
        .await
        .map_err(|e| engine.classify(e, Error::Docker))?;
    let memory = match settings.memory.as_deref().map(parse_memory).transpose() {
        Ok(None | Some(Memory::Auto)) => info
            .mem_total
            .filter(|total| *total > 0)
            .map(|total| (total as u64 / 4 * 3) / MIB * MIB),
        Ok(Some(Memory::Unlimited)) => None,
        Ok(Some(Memory::Bytes(bytes))) => Some(bytes),
        Err(reason) => return Err(invalid("memory", reason).into()),
    };
    let nano_cpus = match settings.cpus {
        None => None,
        Some(cpus) => {
            let available = info.ncpu.unwrap_or(0);
            if available > 0 && cpus.0 > available as f64 {
                return Err(invalid(
                    "cpus",
                    format!(
                        "is {}, but Docker has {available} CPU{}: use {available} or fewer",
                        cpus.0,
                        if available == 1 { "" } else { "s" }
                    ),
                )
                .into());
            }
            Some((cpus.0 * 1e9).round() as i64)
        }
    };
    if let Some(runtime) = &settings.runtime {
        let mut offered: Vec<String> = info.runtimes.unwrap_or_default().into_keys().collect();
        offered.sort();
        if !offered.contains(runtime) {
            return Err(invalid(
                "runtime",
                format!(
                    "is {runtime:?}, which this Docker engine does not offer; it offers {} \
                     (gVisor's runsc or Kata must be installed and registered with Docker first)",
                    offered.join(", ")
                ),
            )
            .into());
        }
    }
    Ok(Limits {
        memory,
        nano_cpus,
        pids: settings.pids,
        runtime: settings.runtime.clone(),
    })
}

/// Puts least privilege and `limits` into a container's host config.
pub fn apply(limits: &Limits, host: &mut HostConfig) {
    host.security_opt = Some(vec![NO_NEW_PRIVILEGES.to_string()]);
    // opencode runs as uid 1000 on port 3000 and needs no capability: none is added back.
    host.cap_drop = Some(vec!["ALL".to_string()]);
    host.pids_limit = Some(i64::from(limits.pids));
    if let Some(memory) = limits.memory {
        let bytes = i64::try_from(memory).unwrap_or(i64::MAX);
        host.memory = Some(bytes);
        // Memory plus swap equal to memory: no swap on top, so the limit is what it says.
        host.memory_swap = Some(bytes);
    }
    host.nano_cpus = limits.nano_cpus;
    host.runtime = limits.runtime.clone();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_as_docker_reads_them() {
        let cases = [
            ("4g", 4 * GIB),
            ("4G", 4 * GIB),
            ("4gb", 4 * GIB),
            ("4GiB", 4 * GIB),
            ("512m", 512 * MIB),
            ("1.5g", 3 * GIB / 2),
            (" 300000k ", 300_000 * KIB),
            ("6291456", 6 * MIB),
            ("1t", TIB),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_memory(text), Ok(Memory::Bytes(bytes)), "{text}");
        }
        assert_eq!(parse_memory("Unlimited"), Ok(Memory::Unlimited));
    }

    #[test]
    fn bad_memory_sizes_say_what_to_write() {
        for text in ["", "4x", "g", "four", "4 g b", "-1g", "1..5g", "4gbb"] {
            let err = parse_memory(text).expect_err(text);
            assert!(err.contains("\"4g\""), "{text}: {err}");
        }
        assert!(parse_memory("1m").expect_err("tiny").contains("6m"));
        assert!(parse_memory("99999999999t").is_err());
    }

    #[test]
    fn limits_are_settings_like_any_other() {
        let path = std::path::Path::new("/x/settings.json");
        let settings = Settings::from_json(
            r#"{"memory": "4g", "cpus": 2.5, "pids": 64, "runtime": "runsc"}"#,
            path,
        )
        .expect("valid");
        assert_eq!(settings.memory.as_deref(), Some("4g"));
        assert_eq!(settings.cpus, Some(Cpus(2.5)));
        assert_eq!(Settings::default().pids, DEFAULT_PIDS);
        for (text, key) in [
            (r#"{"memory": "lots"}"#, "memory"),
            (r#"{"memory": 4}"#, "memory"),
            (r#"{"cpus": 0}"#, "cpus"),
            (r#"{"cpus": "2"}"#, "cpus"),
            (r#"{"pids": 63}"#, "pids"),
            (r#"{"pids": 1.5}"#, "pids"),
            (r#"{"runtime": ""}"#, "runtime"),
        ] {
            match Settings::from_json(text, path) {
                Err(SettingsError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let set = Settings::default().with("memory", "512m").expect("memory");
        assert_eq!(set.memory.as_deref(), Some("512m"));
        assert_eq!(set.with("memory", "null").expect("unset").memory, None);
        assert_eq!(set.with("cpus", "1.5").expect("cpus").cpus, Some(Cpus(1.5)));
    }

    #[test]
    fn memory_reads_well() {}

    #[test]
    fn apply_drops_every_capability_and_new_privileges() {
        let mut host = HostConfig::default();
        let limits = Limits {
            memory: Some(4 * GIB),
            nano_cpus: Some(2_500_000_000),
            pids: 100,
            runtime: None,
        };
        apply(&limits, &mut host);
        assert_eq!(host.security_opt, Some(vec!["no-new-privileges".into()]));
        assert_eq!(host.cap_drop, Some(vec!["ALL".into()]));
        assert_eq!(host.cap_add, None);
        assert_eq!(host.pids_limit, Some(100));
        assert_eq!(host.memory, Some(4 * GIB as i64));
        assert_eq!(host.memory_swap, host.memory);
        assert_eq!(host.nano_cpus, Some(2_500_000_000));
        assert_eq!(host.privileged, None);
    }
}
