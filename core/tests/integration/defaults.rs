//! Defaults that work: no prebuilt image is assumed, pull mode falls back to building, and
//! settings files that still name the retired sources are cleaned once.

use occ_core::container;
use occ_core::settings::ImageMode;
use occ_core::settings_migrate::RETIRED_SOURCES;
use occ_core::{Progress, Settings, SettingsFile};

use crate::common::{self, Recorder, TestInstance};

fn stages(events: &[Progress]) -> Vec<String> {
    events
        .iter()
        .filter_map(|p| match p {
            Progress::Stage { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_defaults_build_and_name_no_source() {
    let defaults = Settings::default();
    assert_eq!(defaults.image_mode, ImageMode::Build);
    assert!(defaults.image_sources.is_empty());
    defaults.validate().expect("the defaults are valid");
}

#[tokio::test]
async fn pull_mode_without_a_source_or_with_every_source_failing_builds_here() {
    let engine = common::engine().await;
    // A build of its own on top of the test image: no uncached step that a concurrent test's
    // build of the test image would race.
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {}\nLABEL dev.opencode-cloud.test-fallback=yes\n",
            common::test_image()
        ),
    )
    .unwrap();
    for (sources, why) in [
        (vec![], container::NO_SOURCE_MESSAGE),
        (
            vec![format!("127.0.0.1:{}/absent:1", common::free_port())],
            container::NO_SOURCE_HAD_IT_MESSAGE,
        ),
    ] {
        let image = format!("occ-test-fallback-{}:{}", sources.len(), std::process::id());
        let settings = Settings {
            image: image.clone(),
            image_mode: ImageMode::Pull,
            image_sources: sources.clone(),
            build_context: Some(context.path().into()),
            ..Settings::default()
        };
        settings
            .validate()
            .expect("pull with no source is a valid setting");
        let mut rec = Recorder::default();
        let result = container::refresh_image(&engine, &settings, &mut rec.sink()).await;
        common::docker_quiet(&["rmi", "-f", &image]);
        let id = result.expect("the fallback build works");
        assert!(id.starts_with("sha256:"), "{id}");
        assert!(
            stages(&rec.events).contains(&why.to_string()),
            "{:?}",
            rec.events
        );
        let failed = rec
            .events
            .iter()
            .filter(|p| matches!(p, Progress::PullSourceFailed { .. }))
            .count();
        assert_eq!(failed, sources.len(), "{:?}", rec.events);
        assert!(
            matches!(rec.events.last(), Some(Progress::BuildFinished { .. })),
            "{:?}",
            rec.events.last()
        );
    }
}

#[test]
fn a_file_with_the_retired_sources_is_cleaned_once_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    let mine = "registry.example.com/me/opencode:1";
    let text = serde_json::json!({
        "port": 3123,
        "image_mode": "pull",
        "image_sources": [RETIRED_SOURCES[0], mine, RETIRED_SOURCES[1]],
    });
    std::fs::write(&path, text.to_string()).unwrap();
    let file = SettingsFile::at(path.clone());

    let (settings, notices) = file.load_migrating().expect("migrated");
    assert_eq!(settings.image_sources, vec![mine.to_string()]);
    assert_eq!(settings.port, 3123);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains(RETIRED_SOURCES[0]), "{notices:?}");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("opencode-cloud:latest"), "{saved}");

    let (again, notices) = file.load_migrating().expect("loads");
    assert_eq!(again, settings);
    assert!(notices.is_empty(), "said twice: {notices:?}");
}

#[test]
fn a_broken_file_with_the_retired_sources_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    let text = format!(
        "{{\"port\": 3000, \"port\": 3001, \"image_sources\": [\"{}\"]}}",
        RETIRED_SOURCES[0]
    );
    std::fs::write(&path, &text).unwrap();
    SettingsFile::at(path.clone())
        .load()
        .expect_err("a key given twice");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn occ_says_once_that_it_dropped_the_retired_sources() {
    let t = TestInstance::new("migrate");
    let mut value = serde_json::to_value(&t.settings).unwrap();
    value["image_sources"] = serde_json::json!(RETIRED_SOURCES);
    value["image_mode"] = serde_json::json!("pull");
    std::fs::write(t.settings_path(), value.to_string()).unwrap();
    let first = t.occ().args(["config", "show"]).output().unwrap();
    assert!(first.status.success());
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(
        said.contains("Removed") && said.contains(RETIRED_SOURCES[1]),
        "{said}"
    );
    let second = t.occ().args(["config", "show"]).output().unwrap();
    assert!(second.status.success());
    assert!(!String::from_utf8_lossy(&second.stderr).contains("Removed"));
    assert!(!String::from_utf8_lossy(&second.stdout).contains(RETIRED_SOURCES[0]));
}
