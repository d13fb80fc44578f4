use crate::common::{self, TestInstance};

#[test]
fn occ_start_goes_from_nothing_to_healthy_and_status_json_reports_it() {
    let t = TestInstance::new("cli");
    let out = t.occ().arg("start").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Starting the container"),
        "progress is shown: {stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&t.settings.url()));

    let out = t.occ().args(["status", "--json"]).output().unwrap();
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "running", "{status}");
    assert_eq!(status["healthy"], true, "{status}");
    assert_eq!(status["url"], t.settings.url());
    assert_eq!(status["image"], t.settings.image);
    assert_eq!(status["container"], t.name());
    assert_eq!(status["port"], t.settings.port);

    let out = t.occ().arg("stop").output().unwrap();
    assert!(out.status.success());
    let out = t.occ().args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "stopped");
}

#[test]
fn config_set_validates_and_get_reads_back() {
    let t = TestInstance::new("config");
    let out = t
        .occ()
        .args(["config", "set", "port", "70000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`port`"));
    let out = t
        .occ()
        .args(["config", "set", "port", "4123"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = t.occ().args(["config", "get", "port"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4123");
}

#[test]
fn remove_volumes_deletes_only_named_volumes_of_the_instance() {
    let t = TestInstance::new("rmvol");
    for v in t.volume_names() {
        common::docker(&["volume", "create", &v]);
    }
    let out = t
        .occ()
        .args(["remove-volumes", "opencode-cloud-session"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a volume of another instance is refused"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("opencode-cloud-session is not a volume of instance"),
        "{stderr}"
    );
    let names = t.volume_names();
    let out = t
        .occ()
        .args(["remove-volumes", &names[0]])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = common::docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("name={}", t.name()),
    ]);
    assert!(!left.lines().any(|l| l == names[0]));
    assert!(
        left.lines().any(|l| l == names[1]) && left.lines().any(|l| l == names[2]),
        "{left}"
    );
}
