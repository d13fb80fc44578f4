//! Two starts at the same moment (two tasks in one process, or two `occ start` processes, as
//! when the app and a terminal both start the instance): one container, and both succeed.

use std::process::Stdio;
use std::sync::Arc;

use occ_core::container::{self, StartReport};
use occ_core::status;
use occ_core::{Error, Progress};

use crate::common::{self, TestInstance};

/// The containers named exactly like the instance.
fn containers_named(name: &str) -> Vec<String> {
    common::docker(&["ps", "-aq", "--filter", &format!("name=^/{name}$")])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs two `container::start` for `t` on two tasks released at the same instant.
async fn race(t: &TestInstance) -> Vec<Result<StartReport, Error>> {
    let engine = common::engine().await;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (engine, settings, barrier) = (engine.clone(), t.settings.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut events = Vec::new();
                let mut sink = |p: Progress| events.push(p);
                barrier.wait().await;
                container::start(&engine, &settings, &mut sink).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the start task panicked"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_starts_at_once_make_one_container_and_both_succeed() {
    let engine = common::engine().await;
    let t = TestInstance::new("race");
    let mut seeded = None;
    // From nothing, from a removed container (volumes kept), from a stopped container, and
    // while it runs.
    for round in ["nothing", "removed", "stopped", "running"] {
        match round {
            "removed" => container::remove(&engine, &t.settings).await.unwrap(),
            "stopped" => container::stop(&engine, &t.settings).await.unwrap(),
            _ => {}
        }
        let results = race(&t).await;
        let reports: Vec<&StartReport> = results
            .iter()
            .map(|r| {
                r.as_ref()
                    .unwrap_or_else(|e| panic!("{round}: a start failed: {e} ({e:?})"))
            })
            .collect();
        assert_eq!(containers_named(t.name()).len(), 1, "{round}");
        let created = reports.iter().filter(|r| r.created_container).count();
        let expected = usize::from(matches!(round, "nothing" | "removed"));
        assert_eq!(created, expected, "{round}: {reports:?}");
        let now = status::current(&engine, &t.settings).await.unwrap();
        // Up (Docker's own HEALTHCHECK may not have passed yet; the service answered).
        assert!(now.is_active(), "{round}: {now:?}");
        match &seeded {
            None => seeded = Some(common::seed_volumes(&t)),
            Some(before) => common::assert_volumes_intact(&t, before, round),
        }
    }
}

#[test]
fn two_occ_start_processes_at_once_make_one_container_and_both_succeed() {
    let t = TestInstance::new("race-cli");
    let mut seeded = None;
    for round in ["nothing", "removed", "stopped"] {
        match round {
            "removed" => common::docker(&["rm", "-f", t.name()]),
            "stopped" => common::docker(&["stop", "-t", "1", t.name()]),
            _ => String::new(),
        };
        let children: Vec<_> = (0..2)
            .map(|_| {
                t.occ()
                    .arg("start")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // Both finish before anything is asserted, so a failure cannot leave one running past
        // the instance's cleanup.
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for out in outputs {
            assert!(
                out.status.success(),
                "{round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains(&t.settings.url()));
        }
        assert_eq!(containers_named(t.name()).len(), 1, "{round}");
        assert!(common::is_running(t.name()));
        match &seeded {
            None => seeded = Some(common::seed_volumes(&t)),
            Some(before) => common::assert_volumes_intact(&t, before, round),
        }
    }
}
