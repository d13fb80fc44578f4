//! Property tests of the parsers that take outside input: settings text, image references, and
//! the engine's pull progress. No engine needed. Each runs a stated number of cases ([`CASES`]);
//! a failure prints its shrunk input (nothing is persisted, to keep the tree clean).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use occ_core::progress::{Bytes, PullTracker};
use occ_core::settings::{SettingsError, PASSWORD_ENV};
use occ_core::{Progress, Settings};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Cases per property.
const CASES: u32 = 2000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const KEYS: [&str; 11] = [
    "instance",
    "port",
    "bind_address",
    "image",
    "image_sources",
    "image_mode",
    "build_context",
    "env",
    "stop_on_quit",
    "start_at_login",
    "require_password",
];

fn path() -> &'static Path {
    Path::new("/home/u/.config/opencode-cloud/settings.json")
}

/// What any text must produce: valid settings that survive a round trip, or an error that
/// names a key and a reason, or a parse error that names the file.
fn check_outcome(text: &str) -> Result<(), TestCaseError> {
    match Settings::from_json(text, path()) {
        Ok(settings) => {
            prop_assert!(settings.validate().is_ok());
            let again = serde_json::to_string(&settings).unwrap();
            prop_assert_eq!(Settings::from_json(&again, path()), Ok(settings));
        }
        Err(e @ SettingsError::Invalid { .. }) => {
            let SettingsError::Invalid { key, reason } = &e else {
                unreachable!()
            };
            prop_assert!(!key.is_empty() && !reason.trim().is_empty(), "{e:?}");
            let quoted = format!("`{key}`");
            prop_assert!(e.to_string().contains(&quoted), "{e}");
        }
        Err(e @ SettingsError::Parse { .. }) => {
            let SettingsError::Parse { message, line, .. } = &e else {
                unreachable!()
            };
            prop_assert!(!message.trim().is_empty() && *line >= 1, "{e:?}");
            prop_assert!(e.to_string().contains(&path().display().to_string()));
        }
        Err(other) => prop_assert!(false, "unexpected {other:?}"),
    }
    Ok(())
}

/// Any JSON value, a few levels deep, with strings that matter here.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop_oneof![
            Just("127.0.0.1".to_string()),
            Just("0.0.0.0".to_string()),
            Just("pull".to_string()),
            Just("build".to_string()),
            Just("A=b".to_string()),
            Just(format!("{PASSWORD_ENV}=x")),
            "[a-z0-9:/._-]{0,20}",
            any::<String>(),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS.to_vec()).prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
        1 => any::<String>(),
    ]
}

/// Text that is mostly JSON: objects with settings keys (maybe twice) and any values, then
/// perhaps cut short or given a stray character.
fn json_ish() -> impl Strategy<Value = String> {
    let object = prop::collection::vec((key(), any_json()), 0..8).prop_map(|fields| {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}: {v}", Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", body.join(", "))
    });
    let top = prop_oneof![
        8 => object,
        1 => any_json().prop_map(|v| v.to_string()),
    ];
    (
        top,
        0usize..3,
        any::<prop::sample::Index>(),
        prop::sample::select("{}[],:\"\\ \n0".chars().collect::<Vec<_>>()),
    )
        .prop_map(|(text, mangle, at, stray)| {
            let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let at = if cuts.is_empty() {
                0
            } else {
                cuts[at.index(cuts.len())]
            };
            match mangle {
                0 => text,
                1 => text[..at].to_string(),
                _ => format!("{}{stray}{}", &text[..at], &text[at..]),
            }
        })
}

/// One field of a settings object: its JSON value and whether it is valid on its own.
fn field(key: &'static str) -> BoxedStrategy<(Value, bool)> {
    let valid: BoxedStrategy<Value> = match key {
        "instance" => "[a-z0-9][a-z0-9_.-]{0,30}".prop_map(Value::from).boxed(),
        "port" => (1u16..=65535).prop_map(Value::from).boxed(),
        "bind_address" => prop::sample::select(vec![
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "0.0.0.0",
            "192.168.1.20",
            "::",
            "fe80::1",
        ])
        .prop_map(Value::from)
        .boxed(),
        "image" => valid_reference().prop_map(Value::from).boxed(),
        "image_sources" => prop::collection::vec(valid_reference(), 0..3)
            .prop_map(Value::from)
            .boxed(),
        "image_mode" => prop::sample::select(vec!["pull", "build"])
            .prop_map(Value::from)
            .boxed(),
        "build_context" => prop_oneof![
            Just(Value::Null),
            "/[a-z]{1,8}(/[a-z]{1,8}){0,2}".prop_map(Value::from)
        ]
        .boxed(),
        "env" => prop::collection::vec("[A-Z_][A-Z0-9_]{0,10}=[ -~]{0,12}", 0..4)
            .prop_map(Value::from)
            .boxed(),
        _ => any::<bool>().prop_map(Value::from).boxed(),
    };
    let invalid: BoxedStrategy<Value> = match key {
        "instance" => prop::sample::select(vec![
            json!(""),
            json!("has space"),
            json!("-x"),
            json!("a".repeat(65)),
            json!(3),
            json!(null),
        ])
        .boxed(),
        "port" => prop_oneof![
            Just(json!(0)),
            (65536u64..10_000_000).prop_map(Value::from),
            (-100_000i64..0).prop_map(Value::from),
            Just(json!("3000")),
            Just(json!(3000.5)),
            Just(json!(null)),
        ]
        .boxed(),
        "bind_address" => prop::sample::select(vec![
            json!("localhost"),
            json!("1.2.3"),
            json!(""),
            json!("my host"),
            json!(17),
            json!(["127.0.0.1"]),
        ])
        .boxed(),
        "image" => prop::sample::select(vec![
            json!("My Image"),
            json!("Opencode:latest"),
            json!(""),
            json!("a//b"),
            json!("a:"),
            json!(false),
        ])
        .boxed(),
        "image_sources" => prop::sample::select(vec![
            json!(["Bad Ref"]),
            json!(["ok", "UP"]),
            json!("ghcr.io/x/y"),
            json!([1]),
        ])
        .boxed(),
        "image_mode" => {
            prop::sample::select(vec![json!("fetch"), json!("Pull"), json!(1), json!(null)]).boxed()
        }
        "build_context" => prop::sample::select(vec![json!(3), json!(true), json!(["/x"])]).boxed(),
        "env" => prop::sample::select(vec![
            json!(["NOEQUALS"]),
            json!(["A=b\nc"]),
            json!(["1A=x"]),
            json!(["=x"]),
            json!("A=b"),
            json!([1]),
            json!(["A=\u{0}"]),
            json!([format!("{PASSWORD_ENV}=x")]),
            json!(["OPENCODE_SERVER_USERNAME=me"]),
        ])
        .boxed(),
        _ => prop::sample::select(vec![json!("yes"), json!(1), json!(null)]).boxed(),
    };
    prop_oneof![
        4 => valid.prop_map(|v| (v, true)),
        1 => invalid.prop_map(|v| (v, false)),
    ]
    .boxed()
}

/// A settings object: each key absent, valid or invalid, and sometimes an unknown key.
fn settings_object() -> impl Strategy<Value = (BTreeMap<String, (Value, bool)>, Option<String>)> {
    let fields: Vec<_> = KEYS
        .iter()
        .map(|k| prop::option::weighted(0.6, field(k)).prop_map(move |f| (*k, f)))
        .collect();
    (fields, prop::option::weighted(0.1, "x_[a-z]{1,6}")).prop_map(|(fields, unknown)| {
        let map = fields
            .into_iter()
            .filter_map(|(k, f)| f.map(|f| (k.to_string(), f)))
            .collect();
        (map, unknown)
    })
}

/// The constraints between keys, from the values given or the defaults.
fn crosses_ok(fields: &BTreeMap<String, (Value, bool)>) -> bool {
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let get = |k: &str| fields.get(k).map_or(&defaults[k], |(v, _)| v);
    let loopback = get("bind_address")
        .as_str()
        .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        .is_none_or(|a| a.is_loopback());
    loopback || get("require_password") == &Value::Bool(true)
}

fn path_component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}((\\.|_|__|-{1,3})[a-z0-9]{1,6}){0,2}"
}

fn regex(pattern: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(pattern).unwrap().boxed()
}

fn domain() -> impl Strategy<Value = String> {
    let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?";
    prop_oneof![
        "localhost(:[0-9]{1,5})?".boxed(),
        regex(&format!("{label}(\\.{label}){{1,3}}(:[0-9]{{1,5}})?")),
        regex(&format!("{label}:[0-9]{{1,5}}")),
    ]
}

/// References by Docker's grammar: `[domain/]path[:tag][@sha256:hex]`, the name at most 255
/// characters (Docker's limit; a tag and digest come on top).
fn valid_reference() -> impl Strategy<Value = String> {
    (
        prop::option::of(domain()),
        prop::collection::vec(path_component(), 1..4),
        prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"),
        prop::option::of("[0-9a-f]{64}"),
    )
        .prop_filter_map(
            "a name Docker would read differently",
            |(domain, path, tag, digest)| {
                // Without a domain, a first component with a '.' would be read as one.
                if domain.is_none()
                    && path.len() > 1
                    && (path[0].contains('.') || path[0] == "localhost")
                {
                    return None;
                }
                let name = match domain {
                    Some(d) => format!("{d}/{}", path.join("/")),
                    None => path.join("/"),
                };
                if name.len() > 255 {
                    return None;
                }
                let tag = tag.map(|t| format!(":{t}")).unwrap_or_default();
                let digest = digest.map(|d| format!("@sha256:{d}")).unwrap_or_default();
                Some(format!("{name}{tag}{digest}"))
            },
        )
}

const STATUSES: [&str; 10] = [
    "Pulling fs layer",
    "Waiting",
    "Downloading",
    "Verifying Checksum",
    "Download complete",
    "Extracting",
    "Pull complete",
    "Already exists",
    "Layer already exists",
    "Retrying in 3 seconds",
];

type Update = (String, String, Option<u64>, Option<u64>);

fn pull_updates() -> impl Strategy<Value = Vec<Update>> {
    let id = prop_oneof![
        8 => prop::sample::select(vec!["a1b2", "c3d4", "e5f6", "0a0b"]).prop_map(str::to_string),
        1 => any::<String>(),
    ];
    let status = prop_oneof![
        8 => prop::sample::select(STATUSES.to_vec()).prop_map(str::to_string),
        1 => any::<String>(),
    ];
    let number = prop_oneof![
        3 => 0u64..50_000_000,
        1 => Just(0u64),
        1 => any::<u64>(),
        1 => u64::MAX - 10..=u64::MAX,
    ];
    prop::collection::vec(
        (
            id,
            status,
            prop::option::of(number.clone()),
            prop::option::of(number),
        ),
        0..40,
    )
}

/// Checks one emitted event against the update that caused it.
fn check_event(event: &Progress, update: &Update) -> Result<(), TestCaseError> {
    match event {
        Progress::PullLayer {
            id,
            status,
            current,
            total,
            overall,
        } => {
            prop_assert_eq!(id, &update.0);
            prop_assert_eq!(status, &update.1);
            if let (Some(c), Some(t)) = (current, total) {
                prop_assert!(c <= t, "layer {c} of {t}");
            }
            prop_assert!(overall.current <= overall.total, "overall {overall:?}");
        }
        other => prop_assert!(false, "not a layer event: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn settings_from_any_text_never_panic_and_explain_themselves(text in any::<String>()) {
        check_outcome(&text)?;
    }

    #[test]
    fn settings_from_json_ish_text_never_panic_and_explain_themselves(text in json_ish()) {
        check_outcome(&text)?;
    }

    #[test]
    fn settings_objects_are_accepted_or_refused_by_the_right_key(
        (fields, unknown) in settings_object(),
    ) {
        let mut object: serde_json::Map<String, Value> =
            fields.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect();
        if let Some(u) = &unknown {
            object.insert(u.clone(), json!(1));
        }
        let text = Value::Object(object).to_string();
        let outcome = Settings::from_json(&text, path());
        let mut bad: Vec<&str> = fields
            .iter()
            .filter(|(_, (_, valid))| !valid)
            .map(|(k, _)| k.as_str())
            .collect();
        bad.extend(unknown.as_deref());
        match (&outcome, bad.is_empty(), crosses_ok(&fields)) {
            (Ok(settings), true, true) => {
                let back = serde_json::to_value(settings).unwrap();
                for (k, (v, _)) in &fields {
                    prop_assert_eq!(&back[k.as_str()], v, "{} came back different", k);
                }
            }
            (Err(SettingsError::Invalid { key, .. }), true, false) => {
                prop_assert!(key == "require_password", "{outcome:?}");
            }
            (Err(SettingsError::Invalid { key, reason }), false, true) => {
                prop_assert!(bad.contains(&key.as_str()), "{key}: {reason}; bad: {bad:?}");
                prop_assert!(!reason.is_empty());
            }
            (Err(SettingsError::Invalid { .. }), false, false) => {}
            _ => prop_assert!(false, "{text} gave {outcome:?} (bad: {bad:?})"),
        }
    }

    #[test]
    fn setting_one_key_from_typed_text_never_panics_and_names_the_key(
        key in key(),
        typed in prop_oneof![any::<String>(), any_json().prop_map(|v| v.to_string())],
    ) {
        match Settings::default().with(&key, &typed) {
            Ok(updated) => {
                prop_assert!(updated.validate().is_ok());
                prop_assert!(updated.get(&key).is_ok());
            }
            Err(SettingsError::Invalid { key: k, reason }) => {
                prop_assert_eq!(k, key);
                prop_assert!(!reason.trim().is_empty());
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn any_text_as_a_reference_gets_ok_or_a_reason(text in any::<String>()) {
        if let Err(reason) = occ_core::reference::validate(&text) {
            prop_assert!(!reason.trim().is_empty());
        }
    }

    #[test]
    fn reference_like_text_gets_ok_or_a_reason(text in "[a-zA-Z0-9:/@._ -]{0,40}") {
        if let Err(reason) = occ_core::reference::validate(&text) {
            prop_assert!(!reason.trim().is_empty());
        }
    }

    #[test]
    fn valid_references_pass(reference in valid_reference()) {
        prop_assert_eq!(occ_core::reference::validate(&reference), Ok(()), "{}", reference);
    }

    #[test]
    fn a_space_or_upper_case_path_makes_a_reference_invalid(
        reference in valid_reference(),
        at in any::<prop::sample::Index>(),
    ) {
        let cuts: Vec<usize> = reference.char_indices().map(|(i, _)| i).chain([reference.len()]).collect();
        let at = cuts[at.index(cuts.len())];
        let spaced = format!("{} {}", &reference[..at], &reference[at..]);
        let reason = occ_core::reference::validate(&spaced).expect_err(&spaced);
        prop_assert!(reason.contains("no spaces"), "{reason}");
        // The last path component, upper-cased, names the fault.
        let without_digest = reference.split('@').next().unwrap();
        let (name, _) = occ_core::reference::split_tag(without_digest);
        let last = name.rsplit('/').next().unwrap();
        if last.bytes().any(|b| b.is_ascii_lowercase()) {
            let start = name.len() - last.len();
            let shouted = format!("{}{}{}", &reference[..start], last.to_ascii_uppercase(), &reference[name.len()..]);
            let reason = occ_core::reference::validate(&shouted).expect_err(&shouted);
            prop_assert!(reason.contains("lower-case"), "{shouted}: {reason}");
        }
    }

    #[test]
    fn pull_progress_stays_consistent_and_always_completes(updates in pull_updates()) {
        for interval in [Duration::ZERO, Duration::from_millis(100)] {
            let mut tracker = PullTracker::new(interval);
            for update in &updates {
                let (id, status, current, total) = update;
                if let Some(event) = tracker.update(id, status, *current, *total) {
                    check_event(&event, update)?;
                }
                let Bytes { current, total } = tracker.overall();
                prop_assert!(current <= total, "overall {current} of {total}");
            }
            // Whatever came before, a finished layer is always reported, complete.
            let ids: std::collections::BTreeSet<&String> = updates.iter().map(|u| &u.0).collect();
            for id in ids {
                let done: Update = (id.clone(), "Pull complete".into(), None, None);
                let event = tracker.update(id, "Pull complete", None, None);
                prop_assert!(event.is_some(), "no event for {id}");
                let event = event.unwrap();
                check_event(&event, &done)?;
                if let Progress::PullLayer { current, total: Some(t), .. } = event {
                    prop_assert_eq!(current, Some(t));
                }
            }
        }
    }
}
