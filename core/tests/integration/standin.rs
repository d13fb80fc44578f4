//! The real image, built once per test process from the embedded Dockerfile on a local Debian 12
//! base (`scripts/debian-base.sh`) with a stand-in opencode release (`standin_opencode.py`)
//! served from 127.0.0.1; and a small HTTP client for asking the running container.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use occ_core::image::{self, BuildArgs, BuildSource};
use occ_core::Progress;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::common::{self, Recorder};

/// The locally made Debian 12 base image (see `scripts/debian-base.sh`).
pub const DEBIAN_BASE: &str = "occ-test/debian:bookworm";
/// The tag the real image is built under. Fixed, so the build cache of earlier runs is reused.
pub const REAL_IMAGE: &str = "occ-test-real-image:1";
/// The stand-in's version, as its `/global/health` reports it.
pub const STANDIN_VERSION: &str = "0.0.0-standin";

/// The port the release server prefers (below the ephemeral range; see `common::free_port`).
const RELEASE_PORT: u16 = 19_731;

const STANDIN_SOURCE: &str = include_str!("standin_opencode.py");

/// What the shared build produced.
pub struct RealImage {
    pub id: String,
    /// The build arguments it was built with (base image, release URL, checksums).
    pub args: BuildArgs,
    /// The build's progress events.
    pub events: Vec<Progress>,
}

/// Builds [`REAL_IMAGE`] through the library once per test process; every test shares it.
pub async fn real_image() -> &'static RealImage {
    static BUILT: OnceCell<RealImage> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let base = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/debian-base.sh");
            let made = Command::new(base).arg(DEBIAN_BASE).status().unwrap();
            assert!(made.success(), "{base} {DEBIAN_BASE} failed");

            let previous = image_id(REAL_IMAGE);
            let args = release_args(&release().sha256);
            let engine = common::engine().await;
            let mut rec = Recorder::default();
            let id = image::build_labelled(
                &engine,
                &BuildSource::Embedded,
                REAL_IMAGE,
                HashMap::new(),
                &args,
                &mut rec.sink(),
            )
            .await
            .unwrap_or_else(|e| panic!("the real image does not build: {e}"));
            // When the release server had to take another port, this run's image is a new one:
            // drop the previous run's (a no-op when a container still uses it).
            if let Some(old) = previous.filter(|old| *old != id) {
                common::docker_quiet(&["rmi", &old]);
            }
            RealImage {
                id,
                args,
                events: rec.events,
            }
        })
        .await
}

/// The id of a local image, or `None`.
fn image_id(name: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["image", "inspect", "-f", "{{.Id}}", name])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The build arguments for the local base and the stand-in release, with `sha256` as the
/// archive's checksum (for both architectures).
pub fn release_args(sha256: &str) -> BuildArgs {
    BuildArgs::from([
        ("BASE_IMAGE".to_string(), DEBIAN_BASE.to_string()),
        (
            "OPENCODE_RELEASE_URL".to_string(),
            format!("http://127.0.0.1:{}/", release().port),
        ),
        ("OPENCODE_VERSION".to_string(), STANDIN_VERSION.to_string()),
        ("OPENCODE_SHA256_AMD64".to_string(), sha256.to_string()),
        ("OPENCODE_SHA256_ARM64".to_string(), sha256.to_string()),
    ])
}

/// The stand-in release archive, served on 127.0.0.1 for the rest of the process.
pub struct Release {
    pub port: u16,
    pub sha256: String,
}

pub fn release() -> &'static Release {
    static RELEASE: std::sync::OnceLock<Release> = std::sync::OnceLock::new();
    RELEASE.get_or_init(|| {
        let archive = standin_archive();
        let sha256 = Sha256::digest(&archive)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // Bound here and kept: no other program can take the port between choosing and serving.
        // A fixed port first: the URL is a build argument, so the same URL (and the same archive)
        // lets later runs take every step from the build cache. Any port when it is taken.
        let listener = TcpListener::bind(("127.0.0.1", RELEASE_PORT))
            .or_else(|_| TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve_release(stream, &archive);
            }
        });
        Release { port, sha256 }
    })
}

/// `opencode-linux-{x64,arm64}.tar.gz` holding the stand-in as an executable `opencode`.
fn standin_archive() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("opencode");
    std::fs::write(&program, STANDIN_SOURCE).unwrap();
    let archive = dir.path().join("opencode.tar.gz");
    // Byte for byte the same archive every run (no times, owners or names that vary), so its
    // sha256, a build argument, is too.
    let status = Command::new("tar")
        .arg("-cf")
        .arg(&archive)
        .args([
            "--mode=0755",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--mtime=@0",
            "--format=ustar",
            "--use-compress-program=gzip -n",
            "-C",
        ])
        .arg(dir.path())
        .arg("opencode")
        .status()
        .unwrap();
    assert!(status.success(), "tar could not pack the stand-in");
    std::fs::read(archive).unwrap()
}

fn serve_release(mut stream: TcpStream, archive: &[u8]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers, up to the blank line.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let found = matches!(
        path,
        "/opencode-linux-x64.tar.gz" | "/opencode-linux-arm64.tar.gz"
    );
    let (status, body) = if found {
        ("200 OK", archive)
    } else {
        ("404 Not Found", &b"not found\n"[..])
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// A GET of `http://127.0.0.1:{port}{path}`, with basic auth when `credentials` is given;
/// returns the status code and the body.
pub fn http_get(port: u16, path: &str, credentials: Option<(&str, &str)>) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = credentials
        .map(|(user, password)| {
            format!(
                "Authorization: Basic {}\r\n",
                base64(format!("{user}:{password}").as_bytes())
            )
        })
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response from :{port}{path}: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc_4648() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"opencode:pw"), "b3BlbmNvZGU6cHc=");
}
