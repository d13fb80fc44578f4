//! Checks of the embedded Dockerfile: its shape (what the app relies on) and a clean hadolint run.
//!
//! The hadolint test needs `hadolint` on PATH; `scripts/hadolint.sh` installs it.

use std::io::{ErrorKind, Write};
use std::process::{Command, Stdio};

use occ_core::dockerfile::DOCKERFILE;

/// The three mount points the app puts named volumes on.
const VOLUME_PATHS: [&str; 3] = [
    "/home/opencode/.local/share/opencode",
    "/home/opencode/workspace",
    "/home/opencode/.config/opencode",
];

/// One Dockerfile instruction with its continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Instruction {
    /// Upper-cased keyword: `FROM`, `RUN`, …
    keyword: String,
    /// Everything after the keyword, continuations joined with a space, trimmed.
    args: String,
    /// 0 for instructions before the first `FROM` (global `ARG`s), then 1, 2, … per stage.
    stage: usize,
    /// 1-based line the instruction starts on.
    line: usize,
}

/// Splits a Dockerfile into instructions the way the builder does with the default escape
/// character: a trailing `\` continues the instruction on the next line, and blank lines and
/// `#` comment lines are dropped, also in the middle of a continued instruction.
fn parse(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut stage = 0;
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (trimmed, false),
        };
        let (start, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        if !joined.is_empty() && !body.is_empty() {
            joined.push(' ');
        }
        joined.push_str(body);
        if continues {
            pending = Some((start, joined));
            continue;
        }
        out.push(instruction(start, &joined, &mut stage));
    }
    if let Some((start, joined)) = pending {
        // A continuation on the last line ends the instruction, as in the builder.
        out.push(instruction(start, &joined, &mut stage));
    }
    out
}

fn instruction(line: usize, text: &str, stage: &mut usize) -> Instruction {
    let (keyword, args) = match text.split_once(char::is_whitespace) {
        Some((k, a)) => (k.to_ascii_uppercase(), a.trim().to_string()),
        None => (text.to_ascii_uppercase(), String::new()),
    };
    if keyword == "FROM" {
        *stage += 1;
    }
    Instruction {
        keyword,
        args,
        stage: *stage,
        line,
    }
}

fn instructions() -> Vec<Instruction> {
    let parsed = parse(DOCKERFILE);
    assert!(
        !parsed.is_empty(),
        "the embedded Dockerfile has no instructions"
    );
    parsed
}

fn final_stage(all: &[Instruction]) -> usize {
    all.iter().map(|i| i.stage).max().unwrap_or(0)
}

/// The one instruction with this keyword; fails when there are none or several.
fn only<'a>(all: &'a [Instruction], keyword: &str) -> &'a Instruction {
    let found: Vec<&Instruction> = all.iter().filter(|i| i.keyword == keyword).collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!(
            "expected exactly one {keyword} instruction, found {} (lines {:?})",
            found.len(),
            found.iter().map(|i| i.line).collect::<Vec<_>>()
        ),
    }
}

/// The JSON (exec form) arguments of an instruction.
fn exec_form(instruction: &Instruction) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(&instruction.args) {
        Ok(args) => args,
        Err(e) => panic!(
            "{} on line {} is not in JSON exec form ({e}): {}",
            instruction.keyword, instruction.line, instruction.args
        ),
    }
}

#[test]
fn splitter_joins_continuations_and_skips_comments() {
    let text = "# syntax comment\nARG A=1\n\nFROM base AS one\nRUN a \\\n    # dropped comment\n    b \\\n\n    c\nfrom  other\ncmd [\"x\"]\n";
    let parsed = parse(text);
    let summary: Vec<(&str, &str, usize, usize)> = parsed
        .iter()
        .map(|i| (i.keyword.as_str(), i.args.as_str(), i.stage, i.line))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ARG", "A=1", 0, 2),
            ("FROM", "base AS one", 1, 4),
            ("RUN", "a b c", 1, 5),
            ("FROM", "other", 2, 10),
            ("CMD", "[\"x\"]", 2, 11),
        ]
    );
}

#[test]
fn builds_on_the_base_image_argument_defaulting_to_ubuntu_24_04() {
    let all = instructions();
    let first = &all[0];
    assert!(
        first.keyword == "FROM" || first.keyword == "ARG",
        "the first instruction must be FROM or ARG, not {} (line {})",
        first.keyword,
        first.line
    );
    // One stage: the base image is a build argument (tests build on a local Debian 12).
    let from = only(&all, "FROM");
    assert_eq!(from.args, "${BASE_IMAGE}", "FROM on line {}", from.line);
    let base = all
        .iter()
        .filter(|i| i.keyword == "ARG" && i.stage == 0)
        .find_map(|i| i.args.strip_prefix("BASE_IMAGE="));
    assert_eq!(
        base,
        Some("ubuntu:24.04"),
        "`ARG BASE_IMAGE=ubuntu:24.04` must come before FROM"
    );
}

#[test]
fn downloads_opencode_from_the_release_url_argument() {
    let all = instructions();
    let url = all
        .iter()
        .filter(|i| i.keyword == "ARG")
        .find_map(|i| i.args.strip_prefix("OPENCODE_RELEASE_URL="));
    let url = url
        .and_then(|u| u.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `ARG OPENCODE_RELEASE_URL=<default>`"));
    assert_eq!(
        url,
        "https://github.com/anomalyco/opencode/releases/download/v${OPENCODE_VERSION}"
    );
    let download = all
        .iter()
        .find(|i| i.keyword == "RUN" && i.args.contains("curl -"))
        .expect("a RUN downloads the release");
    for needed in [
        "${OPENCODE_RELEASE_URL",
        "opencode-linux-${asset}.tar.gz",
        "sha256sum",
    ] {
        assert!(
            download.args.contains(needed),
            "the download step (line {}) should use {needed}",
            download.line
        );
    }
}

#[test]
fn pins_an_opencode_release() {
    let all = instructions();
    // An ARG may declare several arguments: `ARG OPENCODE_VERSION=1.2.3 OPENCODE_SHA256_…=…`.
    let declared: Vec<&str> = all
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(|i| i.args.split_whitespace())
        .collect();
    let default = |name: &str| {
        declared
            .iter()
            .find_map(|d| d.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(|v| v.trim_matches('"'))
    };
    let version = match default("OPENCODE_VERSION") {
        Some(v) => v,
        None => panic!("no `ARG OPENCODE_VERSION=<version>` default"),
    };
    for name in ["OPENCODE_SHA256_AMD64", "OPENCODE_SHA256_ARM64"] {
        let sum = default(name).unwrap_or_default();
        assert!(
            sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name} should default to the release archive's sha256, found {sum:?}"
        );
    }
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "OPENCODE_VERSION should be an exact release like 1.2.3, found {version:?}"
    );
    let run_text: String = all
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.args.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        run_text.contains("sha256sum"),
        "the downloaded opencode archive should be checked against a sha256"
    );
}

#[test]
fn runs_opencode_serve_as_the_opencode_user_under_tini() {
    let all = instructions();
    let last = final_stage(&all);

    let user = only(&all, "USER");
    assert_eq!(user.args, "opencode", "USER on line {}", user.line);
    assert_eq!(user.stage, last, "USER must be in the final stage");

    let entrypoint = only(&all, "ENTRYPOINT");
    assert_eq!(
        entrypoint.stage, last,
        "ENTRYPOINT must be in the final stage"
    );
    assert_eq!(exec_form(entrypoint), ["/usr/bin/tini", "--"]);

    let cmd = only(&all, "CMD");
    assert_eq!(cmd.stage, last, "CMD must be in the final stage");
    assert_eq!(
        exec_form(cmd),
        [
            "opencode",
            "serve",
            "--hostname",
            "0.0.0.0",
            "--port",
            "3000"
        ]
    );

    let expose = only(&all, "EXPOSE");
    assert_eq!(expose.stage, last, "EXPOSE must be in the final stage");
    assert_eq!(expose.args, "3000");

    let workdir = all
        .iter()
        .rfind(|i| i.keyword == "WORKDIR" && i.stage == last)
        .map(|i| i.args.as_str());
    assert_eq!(workdir, Some("/home/opencode/workspace"));
}

#[test]
fn health_check_probes_global_health() {
    let all = instructions();
    let check = only(&all, "HEALTHCHECK");
    assert_eq!(
        check.stage,
        final_stage(&all),
        "HEALTHCHECK must be in the final stage"
    );
    let args = &check.args;
    for option in [
        "--interval=5s",
        "--timeout=3s",
        "--start-period=30s",
        "--retries=3",
    ] {
        assert!(args.contains(option), "HEALTHCHECK lacks {option}: {args}");
    }
    let probe = match args.split_once(" CMD ") {
        Some((_, probe)) => probe,
        None => panic!("HEALTHCHECK has no CMD: {args}"),
    };
    assert!(
        probe.contains("curl") && probe.contains("http://127.0.0.1:3000/global/health"),
        "HEALTHCHECK should curl http://127.0.0.1:3000/global/health: {probe}"
    );
}

#[test]
fn creates_the_volume_mount_points_owned_by_opencode() {
    let all = instructions();
    let last = final_stage(&all);
    let user_line = only(&all, "USER").line;
    let creating: Vec<&Instruction> = all
        .iter()
        .filter(|i| i.keyword == "RUN" && i.stage == last && i.line < user_line)
        .filter(|i| i.args.contains("mkdir"))
        .collect();
    for path in VOLUME_PATHS {
        let made = creating.iter().any(|run| {
            run.args.split_whitespace().any(|word| word == path)
                && run.args.contains("chown")
                && run.args.contains("opencode:opencode")
        });
        assert!(
            made,
            "{path} should be created (mkdir) and chowned to opencode:opencode by a RUN in the \
             final stage before USER"
        );
    }
}

#[test]
fn does_not_bake_in_the_server_password() {
    for instruction in instructions() {
        if instruction.keyword == "ENV" || instruction.keyword == "ARG" {
            assert!(
                !instruction.args.contains("OPENCODE_SERVER_PASSWORD"),
                "line {}: OPENCODE_SERVER_PASSWORD must be passed at run time, not set in the image",
                instruction.line
            );
        }
    }
}

#[test]
fn hadolint_passes() {
    let spawned = Command::new("hadolint")
        .args(["--no-color", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "hadolint is not on PATH: run scripts/hadolint.sh, which installs it (from PyPI) and \
             lints core/src/Dockerfile"
        ),
        Err(e) => panic!("could not run hadolint: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        if let Err(e) = stdin.write_all(DOCKERFILE.as_bytes()) {
            panic!("could not send the Dockerfile to hadolint: {e}");
        }
        // Dropping stdin closes it, so hadolint sees the end of the file.
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(e) => panic!("hadolint did not finish: {e}"),
    };
    assert!(
        output.status.success(),
        "hadolint failed ({}) on core/src/Dockerfile:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
