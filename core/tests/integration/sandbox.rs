//! Least privilege and resource limits, against the real engine: what `docker inspect` shows,
//! what a process inside can and cannot do (raise its rights with a setuid-root binary, open raw
//! sockets, fork without end), and an OOM kill reported as one.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use occ_core::sandbox::Cpus;
use occ_core::{container, status, status_view, Error, State};

use crate::common::{self, docker, inspect, Recorder, TestInstance};

/// The stand-in run as uid 1000 like opencode, with a setuid-root probe that reports its
/// effective uid and whether `setuid(0)` works.
const SANDBOX_IMAGE: &str = "occ-test-busybox-sandbox:1";
/// The same, whose main process turns into a 256 MiB allocation when `/tmp/eat` is written to:
/// PID 1 dies of it, as opencode under tini would.
const OOM_IMAGE: &str = "occ-test-busybox-oom:1";

const PROBE_C: &str = r#"#include <stdio.h>
#include <unistd.h>
int main(void) {
    int raised = setuid(0) == 0;
    printf("euid=%d setuid0=%s\n", (int)geteuid(), raised ? "ok" : "refused");
    return 0;
}
"#;

/// The volumes' folders are open to all: opencode's user writes them, and so does the tests'
/// seeding as root, who (with every capability dropped) cannot override a folder's owner.
const AS_OPENCODE: &str = "USER 0\n\
COPY probe /suid/probe\n\
RUN chmod 4755 /suid/probe && chmod 1777 /tmp \\\n\
 && mkdir -p /home/opencode/.local/share/opencode /home/opencode/workspace /home/opencode/.config/opencode \\\n\
 && chmod 777 /home/opencode/.local/share/opencode /home/opencode/workspace /home/opencode/.config/opencode\n\
USER 1000:1000\n";

const EAT_ON_SIGNAL: &str = r#"CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; : > /tmp/httpd.conf; if [ -n \"$OPENCODE_SERVER_PASSWORD\" ]; then echo \"/:${OPENCODE_SERVER_USERNAME:-opencode}:$OPENCODE_SERVER_PASSWORD\" > /tmp/httpd.conf; fi; httpd -f -p 3000 -h /www -c /tmp/httpd.conf & rm -f /tmp/eat; mkfifo /tmp/eat; read go < /tmp/eat; exec dd if=/dev/zero of=/dev/null bs=256M count=1"]
"#;

fn build(tag: &str, extra: &str) {
    let context = common::test_context(extra);
    let probe = context.path().join("probe");
    let source = context.path().join("probe.c");
    std::fs::write(&source, PROBE_C).unwrap();
    compile_static(&source, &probe);
    docker(&["build", "-q", "-t", tag, context.path().to_str().unwrap()]);
}

/// A static binary, so it runs in the `FROM scratch` stand-in (the C toolchain is the one Rust
/// links with).
fn compile_static(source: &Path, out: &Path) {
    let status = Command::new("cc")
        .args(["-static", "-Os", "-o"])
        .arg(out)
        .arg(source)
        .status()
        .expect("cc is missing");
    assert!(status.success(), "cc -static failed");
}

fn sandbox_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build(SANDBOX_IMAGE, AS_OPENCODE));
    SANDBOX_IMAGE
}

fn oom_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build(OOM_IMAGE, &format!("{AS_OPENCODE}{EAT_ON_SIGNAL}")));
    OOM_IMAGE
}

fn instance(test: &str, image: &str) -> TestInstance {
    let mut t = TestInstance::new(test);
    t.settings.image = image.to_string();
    t.save();
    t
}

/// `docker exec` that may fail: (success, stdout + stderr).
fn exec(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker")
        .arg("exec")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn the_container_runs_with_least_privilege_and_the_limits_set() {
    let engine = common::engine().await;
    let mut t = instance("sbx-inspect", sandbox_image());
    t.settings.memory = Some("96m".into());
    t.settings.cpus = Some(Cpus(0.5));
    t.settings.pids = 100;
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let name = &t.name().to_string();
    assert_eq!(
        inspect(name, "{{json .HostConfig.SecurityOpt}}"),
        r#"["no-new-privileges"]"#
    );
    assert_eq!(inspect(name, "{{json .HostConfig.CapDrop}}"), r#"["ALL"]"#);
    assert_eq!(inspect(name, "{{json .HostConfig.CapAdd}}"), "null");
    assert_eq!(inspect(name, "{{.HostConfig.Privileged}}"), "false");
    assert_eq!(inspect(name, "{{.HostConfig.PidsLimit}}"), "100");
    assert_eq!(inspect(name, "{{.HostConfig.Memory}}"), "100663296");
    assert_eq!(inspect(name, "{{.HostConfig.MemorySwap}}"), "100663296");
    assert_eq!(inspect(name, "{{.HostConfig.NanoCpus}}"), "500000000");
    // Only the three named volumes: no Docker socket, no host path.
    let mounts = inspect(
        name,
        "{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}}\n{{end}}",
    );
    assert_eq!(mounts.lines().count(), 3, "{mounts}");
    for line in mounts.lines() {
        assert!(line.starts_with("volume "), "{mounts}");
        assert!(!line.contains("docker.sock"), "{mounts}");
    }
    // What the kernel says about the container's first process.
    let (_, proc1) = exec(&[
        name,
        "grep",
        "-E",
        "^(NoNewPrivs|CapEff|CapBnd)",
        "/proc/1/status",
    ]);
    assert!(proc1.contains("NoNewPrivs:\t1"), "{proc1}");
    assert!(proc1.contains("CapBnd:\t0000000000000000"), "{proc1}");
    assert!(proc1.contains("CapEff:\t0000000000000000"), "{proc1}");
    // The status knows the memory limit; the process count is the kernel's to enforce.
    let current = status::current(&engine, &t.settings).await.expect("status");
    assert_eq!(current.memory_limit, Some(96 << 20));
    // The window's one sample: the limits in force beside the live use.
    let usage = occ_core::usage::sample(&engine, &t.settings)
        .await
        .expect("usage")
        .expect("running");
    assert_eq!(usage.memory_limit, Some(96 << 20));
    assert_eq!(usage.cpus, Some(0.5));
    assert_eq!(usage.pids_limit, Some(100));
    assert!(
        usage.pids.is_some_and(|n| (1..=100).contains(&n)),
        "{usage:?}"
    );
    assert!(
        usage.memory_bytes.is_some_and(|m| m > 0 && m < 96 << 20),
        "{usage:?}"
    );

    // Changing a limit recreates the container on the next start (volumes are kept).
    let seeded = common::seed_volumes(&t);
    let before = common::container_id(name);
    t.settings.pids = 200;
    t.settings.memory = Some("unlimited".into());
    let report = container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("restart with new limits");
    assert!(report.created_container);
    assert_ne!(common::container_id(name), before);
    assert_eq!(inspect(name, "{{.HostConfig.PidsLimit}}"), "200");
    assert_eq!(inspect(name, "{{.HostConfig.Memory}}"), "0");
    common::assert_volumes_intact(&t, &seeded, "a limit change");
}

#[tokio::test]
async fn defaults_limit_processes_and_memory_to_a_share_of_the_engine() {
    let engine = common::engine().await;
    let t = instance("sbx-defaults", sandbox_image());
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    assert_eq!(inspect(t.name(), "{{.HostConfig.PidsLimit}}"), "4096");
    let total: u64 = docker(&["info", "-f", "{{.MemTotal}}"]).parse().unwrap();
    let memory: u64 = inspect(t.name(), "{{.HostConfig.Memory}}").parse().unwrap();
    assert_eq!(memory, total / 4 * 3 / (1 << 20) * (1 << 20));
}

#[tokio::test]
async fn no_process_inside_can_raise_its_privileges_or_open_raw_sockets() {
    let engine = common::engine().await;
    let image = sandbox_image();
    let t = instance("sbx-privs", image);
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let name = t.name();

    // The probe does raise its rights where Docker's defaults apply, so it would tell.
    let control = docker(&["run", "--rm", "--network", "none", image, "/suid/probe"]);
    assert_eq!(control, "euid=0 setuid0=ok");

    assert_eq!(exec(&[name, "id", "-u"]), (true, "1000\n".to_string()));
    let (ok, probe) = exec(&[name, "/suid/probe"]);
    assert!(ok, "{probe}");
    assert_eq!(probe.trim(), "euid=1000 setuid0=refused");

    // busybox ping needs a raw socket: refused for opencode's user, and even for root, whose
    // capabilities are dropped too.
    for user in ["1000", "0"] {
        let (ok, text) = exec(&["-u", user, name, "ping", "-c", "1", "-W", "1", "127.0.0.1"]);
        assert!(!ok, "ping as {user} worked: {text}");
        assert!(text.contains("permission denied"), "as {user}: {text}");
    }
}

#[tokio::test]
async fn a_fork_bomb_stops_at_the_process_limit() {
    let engine = common::engine().await;
    let mut t = instance("sbx-forkbomb", sandbox_image());
    t.settings.pids = 64;
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let name = t.name();
    // A bomb with a bound: 2^9 - 1 = 511 processes at most, each living 30 s, should the
    // limit not hold.
    docker(&[
        "exec",
        "-d",
        name,
        "sh",
        "-c",
        "b() { if [ $1 -gt 0 ]; then b $(($1-1)) & b $(($1-1)) & fi; sleep 30; }; b 8",
    ]);
    // The kernel counts the forks it refused in `pids.events` (cgroup v1 and v2 paths).
    let cgroup = |file: &str| -> Option<String> {
        let script =
            format!("cat /sys/fs/cgroup/pids/{file} 2>/dev/null || cat /sys/fs/cgroup/{file}");
        let (ok, text) = exec(&[name, "sh", "-c", &script]);
        ok.then(|| text.trim().to_string())
    };
    common::wait_until(
        "a fork refused at the limit",
        Duration::from_secs(90),
        || {
            cgroup("pids.events")
                .and_then(|e| e.strip_prefix("max ")?.parse::<u64>().ok())
                .is_some_and(|refused| refused > 0)
        },
    );
    assert_eq!(cgroup("pids.max").as_deref(), Some("64"));
    // Processes that join the container from outside (this `cat`, a health check) are let in
    // past the limit; forks inside are not.
    let current: u64 = cgroup("pids.current").unwrap().parse().unwrap();
    assert!(
        current <= 64 + 2,
        "{current} processes, past the limit of 64"
    );
    // The host is unharmed: it starts processes, and the engine answers.
    assert!(Command::new("true").status().unwrap().success());
    let current = status::current(&engine, &t.settings).await.expect("status");
    assert_ne!(current.state, State::Unreachable);
}

#[tokio::test]
async fn a_container_past_its_memory_is_reported_out_of_memory() {
    let engine = common::engine().await;
    let mut t = instance("sbx-oom", oom_image());
    t.settings.memory = Some("32m".into());
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let name = t.name().to_string();
    let mut watch = status::watch(occ_core::client::endpoint_from_env(), t.settings.clone());
    common::next_status(&mut watch, Duration::from_secs(60), "running", |s| {
        s.is_ready()
    })
    .await;

    // Docker's restart policy brings it back; the watcher still says what happened.
    docker(&["exec", &name, "sh", "-c", "echo go > /tmp/eat"]);
    let oom = common::next_status(&mut watch, Duration::from_secs(60), "an OOM kill", |s| {
        s.oom_killed
    })
    .await;
    assert!(oom.crashed, "{oom:?}");
    assert_eq!(oom.exit_code, Some(137));
    assert_eq!(oom.memory_limit, Some(32 << 20));
    let headline = status_view(Some(&oom), None).headline;
    assert!(
        headline.starts_with("opencode ran out of memory (limit 32 MB)"),
        "{headline}"
    );
    common::next_status(&mut watch, Duration::from_secs(60), "running again", |s| {
        s.is_ready()
    })
    .await;

    // Without the restart policy it stays down, and `occ status` says why.
    docker(&["update", "--restart", "no", &name]);
    docker(&["exec", &name, "sh", "-c", "echo go > /tmp/eat"]);
    let down = common::next_status(&mut watch, Duration::from_secs(60), "an OOM exit", |s| {
        s.state == State::Exited
    })
    .await;
    assert!(down.oom_killed, "{down:?}");
    assert_eq!(inspect(&name, "{{.State.OOMKilled}}"), "true");
    let out = t.occ().arg("status").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("opencode ran out of memory (limit 32 MB)"),
        "{stdout}"
    );
    let json = t.occ().args(["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["oom_killed"], true, "{json}");
    assert_eq!(json["memory_limit"], 32 << 20, "{json}");
}

#[tokio::test]
async fn limits_the_engine_cannot_honour_are_refused_before_anything_changes() {
    let engine = common::engine().await;
    let mut t = instance("sbx-refused", sandbox_image());
    let cpus: f64 = docker(&["info", "-f", "{{.NCPU}}"]).parse().unwrap();
    t.settings.cpus = Some(Cpus(cpus + 1.0));
    let err = container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect_err("more CPUs than the engine has");
    match &err {
        Error::Settings(e) => assert_eq!(e.key(), Some("cpus"), "{err}"),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains(&format!("Docker has {cpus}")),
        "{err}"
    );

    t.settings.cpus = None;
    t.settings.runtime = Some("occ-test-no-such-runtime".into());
    let err = container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect_err("unknown runtime");
    match &err {
        Error::Settings(e) => assert_eq!(e.key(), Some("runtime"), "{err}"),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("runc"),
        "lists what is offered: {err}"
    );
    assert_eq!(common::container_id(t.name()), None);
    // No container, no usage to show.
    t.settings.runtime = None;
    assert_eq!(
        occ_core::usage::sample(&engine, &t.settings)
            .await
            .expect("usage"),
        None
    );
}
