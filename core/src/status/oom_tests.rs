//! How an OOM kill is read from the event history and from one inspect.

use super::*;

fn apply_all(h: &mut History, actions: &[&str]) {
    for a in actions {
        h.apply(a, (*a == "die").then_some(3));
    }
}

#[test]
fn an_oom_kill_rides_on_the_crash_it_caused() {
    let mut h = History::default();
    h.apply("start", None);
    h.apply("oom", None);
    h.apply("die", Some(137));
    h.apply("start", None);
    assert_eq!(h.unpublished_crash, Some(137));
    assert!(h.unpublished_oom);
    // A process inside met the limit and the container lived on; a later crash of its own
    // is no OOM kill.
    let mut h = History::default();
    apply_all(&mut h, &["start", "oom", "die"]);
    assert!(!h.unpublished_oom, "exit code 3 is not the OOM killer's");
    // A stop is a stop, whatever the OOM killer did before.
    let mut h = History::default();
    apply_all(&mut h, &["start", "oom", "kill"]);
    h.apply("die", Some(137));
    assert_eq!(h.unpublished_crash, None);
}

fn inspected(status: ContainerStateStatusEnum, exit: i64, oom: bool) -> ContainerInspectResponse {
    ContainerInspectResponse {
        state: Some(bollard::models::ContainerState {
            status: Some(status),
            exit_code: Some(exit),
            oom_killed: Some(oom),
            ..Default::default()
        }),
        host_config: Some(bollard::models::HostConfig {
            memory: Some(32 << 20),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn inspect_tells_an_oom_kill_from_a_stop() {
    let settings = Settings::default();
    let exited = from_inspect(
        &settings,
        &inspected(ContainerStateStatusEnum::EXITED, 137, true),
        None,
    );
    assert_eq!(exited.state, State::Exited);
    assert!(exited.crashed && exited.oom_killed, "{exited:?}");
    assert_eq!(exited.memory_limit, Some(32 << 20));
    // A plain SIGKILL (the stop timeout) stays a stop.
    let killed = from_inspect(
        &settings,
        &inspected(ContainerStateStatusEnum::EXITED, 137, false),
        None,
    );
    assert_eq!(killed.state, State::Stopped);
    // A stop after a process inside met the limit is a stop.
    let stopped = from_inspect(
        &settings,
        &inspected(ContainerStateStatusEnum::EXITED, 143, true),
        None,
    );
    assert_eq!((stopped.state, stopped.oom_killed), (State::Stopped, false));
    // Running again after an OOM kill: Docker still says OOMKilled; we do not.
    let running = from_inspect(
        &settings,
        &inspected(ContainerStateStatusEnum::RUNNING, 0, true),
        None,
    );
    assert!(!running.oom_killed);
    let restarting = from_inspect(
        &settings,
        &inspected(ContainerStateStatusEnum::RESTARTING, 137, true),
        None,
    );
    assert!(restarting.oom_killed && restarting.state == State::Starting);
}
