"""Fixtures for the end-to-end tests. scripts/e2e.sh prepares the images, the registry, the
sandbox (HOME, XDG_*, TMPDIR) and runs pytest inside `dbus-run-session -- xvfb-run`.

- `desktop`: the tray host (StatusNotifierWatcher) and notification daemon, on the private bus;
- `browser`: an `xdg-open` first on the app's PATH (and $BROWSER) that records what it opens;
- `slow_registry`: the registry behind a relay slow enough to watch a pull happen;
- `driver_url`: tauri-driver (and so WebKitWebDriver) on free ports, one per test module;
- `launch`: writes settings.json and starts the app through a WebDriver session; afterwards it
  makes sure the app has exited (a second instance would only hand over to it), and removes
  the test's container, volumes and images.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.remote_connection import RemoteConnection

import engine
from desktop_bus import Desktop, TrayMenu
from relay import SlowRelay
from window import Window

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
# What a failed test leaves behind to look at: the window and what the app knew.
FAILURES = ROOT / "target" / "e2e-failures"

# A dead app must not hang a test for selenium's default 120 s per command.
RemoteConnection.set_timeout(60)


@dataclass(frozen=True)
class Config:
    run: str  # prefix of every name the run creates
    sandbox: Path
    app: str
    tauri_driver: str
    registry: str  # 127.0.0.1:port
    remote_path: str  # the test image's path in the registry (no address)
    image: str  # the busybox test image, variant 1
    image_2: str  # variant 2
    build_context: Path
    failing_context: Path

    def remote(self, address=None):
        return f"{address or self.registry}/{self.remote_path}"


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the end-to-end tests with scripts/e2e.sh", 2)
    return value


@pytest.fixture(scope="session")
def cfg():
    return Config(
        run=_env("OCC_E2E_RUN"),
        sandbox=Path(_env("OCC_E2E_SANDBOX")),
        app=_env("OCC_E2E_APP"),
        tauri_driver=_env("OCC_E2E_TAURI_DRIVER"),
        registry=_env("OCC_E2E_REGISTRY"),
        remote_path=_env("OCC_E2E_REMOTE_PATH"),
        image=_env("OCC_E2E_IMAGE"),
        image_2=_env("OCC_E2E_IMAGE_2"),
        build_context=Path(_env("OCC_E2E_BUILD_CONTEXT")),
        failing_context=Path(_env("OCC_E2E_FAILING_CONTEXT")),
    )


@pytest.fixture(scope="session")
def desktop():
    d = Desktop.start()
    yield d
    d.stop()


class Browser:
    """What the app asked the desktop to open, one line per call."""

    def __init__(self, folder: Path):
        self.bin = folder / "bin"
        self.log = folder / "opened.txt"
        self.bin.mkdir(parents=True)
        shim = self.bin / "xdg-open"
        shim.write_text(
            "#!/bin/sh\n"
            "# Stands in for the desktop's URL opener: records the request, opens nothing.\n"
            f'[ "$#" -gt 0 ] && printf \'%s\\n\' "$*" >> "{self.log}"\n'
            "exit 0\n")
        shim.chmod(0o755)
        self.clear()

    def clear(self):
        self.log.write_text("")

    def opened(self):
        return self.log.read_text().splitlines()


@pytest.fixture(scope="session")
def browser(cfg):
    return Browser(cfg.sandbox / "browser")


@pytest.fixture(scope="session")
def config_dir(cfg):
    """Where the app finds settings.json ($OPENCODE_CLOUD_CONFIG_DIR); each test writes its own."""
    folder = cfg.sandbox / "occ-config"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def slow_registry(cfg):
    """The registry behind a relay that serves about 1 MB/s per connection."""
    relay = SlowRelay(cfg.registry, 1_000_000)
    yield relay.address
    relay.close()


@pytest.fixture(scope="module")
def driver_url(cfg, browser, config_dir, request):
    port, native = engine.free_port(), engine.free_port()
    # A test module may set APP_ENV for the apps it launches (e.g. a dark GTK theme).
    env = dict(os.environ, **getattr(request.module, "APP_ENV", {}),
               PATH=f"{browser.bin}:{os.environ['PATH']}",
               BROWSER=str(browser.bin / "xdg-open"),
               OPENCODE_CLOUD_CONFIG_DIR=str(config_dir),
               OPENCODE_CLOUD_LOG_DIR=str(cfg.sandbox / "app-logs"))
    log = open(cfg.sandbox / f"tauri-driver-{port}.log", "w")
    proc = subprocess.Popen([cfg.tauri_driver, "--port", str(port), "--native-port", str(native)],
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    # Its own group, ended below; scripts/e2e.sh ends it if this process is killed first.
    groups = cfg.sandbox / "process-groups"
    with open(groups, "a") as f:
        f.write(f"{proc.pid}\n")
    # Both: tauri-driver answers at once, but forwards to a WebKitWebDriver still starting.
    engine.wait_until("tauri-driver and WebKitWebDriver to listen",
                      lambda: proc.poll() is not None or not (engine.refuses_tcp(port)
                                                              or engine.refuses_tcp(native)), 20)
    assert proc.poll() is None, f"tauri-driver exited: {(cfg.sandbox / log.name).read_text()}"
    yield f"http://127.0.0.1:{port}"
    # WebKitWebDriver and anything it still runs go with the group.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    log.close()
    # Ended: its id may be reused now, so it leaves the list.
    left = [g for g in groups.read_text().split() if g != str(proc.pid)]
    groups.write_text("".join(f"{g}\n" for g in left))


@dataclass
class App:
    driver: webdriver.Remote
    window: Window
    tray: TrayMenu
    pid: int
    settings: dict
    config_dir: Path = None

    @property
    def password(self):
        """The server password the app created in its config dir (never shown in the window)."""
        return (self.config_dir / "server-password").read_text().strip()

    @property
    def login_url(self):
        """What "Open in browser" opens: the address with opencode's login in it."""
        return f"http://opencode:{self.password}@127.0.0.1:{self.settings['port']}/"

    @property
    def instance(self):
        return self.settings["instance"]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.settings['port']}/"

    def alive(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A zombie has exited: its parent (WebKitWebDriver) has not reaped it yet.
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().split(") ")[1][0] != "Z"
        except (FileNotFoundError, IndexError):
            return False

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        return not self.alive()

    def close(self):
        """Ends the WebDriver session; the driver then ends the app (SIGTERM, as a logout
        would). An app that is still there after that is ended by its pid."""
        try:
            self.driver.quit()
        except WebDriverException:
            pass  # the app may have quit already (the tray's Quit)
        if not self.wait_exit(30):
            os.kill(self.pid, signal.SIGKILL)
            assert self.wait_exit(10), f"the app (pid {self.pid}) does not exit"


def slug(node_name):
    return re.sub(r"[^a-z0-9]+", "-", node_name.lower().removeprefix("test_")).strip("-")[:32]


@pytest.fixture
def names(cfg, request):
    """Per-test names: `instance` for the container and volumes, `image(tag)` for images."""
    base = f"{cfg.run}-{slug(request.node.name)}"

    class Names:
        instance = base

        @staticmethod
        def image(tag="1"):
            return f"{base}:{tag}"
    return Names


@pytest.fixture
def build_context(cfg, tmp_path):
    """A copy of the build context with a fresh stamp: the steps after it are never cached."""
    folder = tmp_path / "build-context"
    shutil.copytree(cfg.build_context, folder)
    (folder / "stamp").write_text(uuid.uuid4().hex)
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed


def keep_evidence(app, name):
    FAILURES.mkdir(parents=True, exist_ok=True)
    try:
        app.driver.get_screenshot_as_file(str(FAILURES / f"{name}.png"))
        snapshot = app.window.invoke("snapshot")
        page = app.driver.execute_script("return document.body.innerText;")
        menu = app.tray.view()
        (FAILURES / f"{name}.txt").write_text(
            f"tray: {menu}\n\nsnapshot: {json.dumps(snapshot, indent=2)}\n\npage:\n{page}\n")
    except Exception as e:  # noqa: BLE001 - the app may be gone
        (FAILURES / f"{name}.txt").write_text(f"no evidence: {e!r}\n")


@pytest.fixture
def launch(cfg, desktop, driver_url, config_dir, browser, request):
    apps, cleanup = [], []

    def _launch(settings: dict):
        assert settings["instance"].startswith(cfg.run), settings
        assert not any(a.alive() for a in apps), "one app at a time: it is single-instance"
        cleanup.append(settings)
        (config_dir / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
        browser.clear()
        mark = len(desktop.registrations)
        options = ArgOptions()
        options.set_capability("tauri:options", {"application": cfg.app})
        driver = webdriver.Remote(command_executor=driver_url, options=options)
        driver.set_script_timeout(180)
        try:
            registration = desktop.wait_registration(mark)
            app = App(driver, Window(driver), TrayMenu(desktop, registration),
                      desktop.pid_of(registration.sender), settings, config_dir)
        except BaseException:
            driver.quit()
            raise
        apps.append(app)
        # The window has the watcher's first status.
        app.window.wait("a status in the window", lambda: app.window.text("state") != "Connecting…")
        return app

    yield _launch
    if getattr(request.node, "e2e_failed", False):
        for n, app in enumerate(apps):
            if app.alive():
                keep_evidence(app, f"{slug(request.node.name)}-{n}")
    errors = []
    for app in apps:
        try:
            app.close()
        except Exception as e:  # noqa: BLE001 - clean up the rest, then report
            errors.append(e)
    shared = {cfg.image, cfg.image_2}
    for settings in cleanup:
        engine.remove_instance(settings["instance"])
        images = [settings["image"]] if settings["image"] not in shared else []
        engine.remove_images(*images, *settings.get("image_sources", []))
    if errors:
        raise errors[0]


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(app, name):
        app.window.screenshot(SCREENSHOTS / f"{name}.png")
    return take
