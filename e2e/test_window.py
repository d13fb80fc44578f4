"""The window, as a user clicks it: Start (pulling or building the image first), Open in
browser, Stop. Also writes the screenshots of the main states to docs/screenshots/."""

import json
import re

import engine
from support import base_settings, dockerfile_steps


def test_start_pulls_then_open_in_browser_then_stop(cfg, launch, names, slow_registry, browser,
                                                     screenshot):
    dead = f"127.0.0.1:{engine.free_port()}"  # nobody listens there: the first source fails
    app = launch(base_settings(
        names, image=names.image(), image_mode="pull",
        image_sources=[cfg.remote(dead), cfg.remote(slow_registry)]))
    w = app.window
    assert not engine.image_exists(names.image())
    w.wait_state("Not created yet")
    assert w.enabled("start") and not w.enabled("open-browser")

    w.record_progress()
    w.click("start")
    # Mid-download: a layer row with bytes, under "Pulling <source>".
    w.wait("a layer row downloading",
           lambda: any("Downloading" in li for li in json.loads((w.seen()["layers"] or ["[]"])[-1])),
           timeout=60)
    assert w.shown("progress")
    assert w.text("pull-source") == f"Pulling {cfg.remote(slow_registry)}"
    assert w.text("failed-sources").startswith(f"Could not pull {cfg.remote(dead)}:")
    screenshot(app, "pulling")

    w.wait_state(f"Running — {app.url}", timeout=90)
    seen = w.seen()
    assert seen["visible"]
    rows = [json.loads(r) for r in seen["layers"]]
    layer_ids = {row.split(" ")[0] for frame in rows for row in frame}
    assert len(layer_ids) >= 2, rows  # busybox, its links, the page, the 4 MB payload
    assert any(" Downloading " in row and " MB / " in row for frame in rows for row in frame), rows
    assert any(row.endswith(("Pull complete", "Download complete", "Already exists"))
               for row in rows[-1]), rows[-1]
    assert seen["failed"], "the unreachable source was never listed"
    # The headline said what was happening, not the state before it.
    assert any(re.fullmatch(r"Downloading the image — \d+ % \(\S+ \S+ of \S+ \S+(, .+ left)?\)", h)
               for h in seen["headlines"]), seen["headlines"]
    assert "Not created yet" not in seen["headlines"][1:], seen["headlines"]
    # Then the health wait, then the healthy start, in that order.
    waiting = seen["headlines"].index("Waiting for opencode to answer…")
    assert seen["headlines"][-1] == f"Running — {app.url}", seen["headlines"]
    assert waiting < len(seen["headlines"]) - 1, seen["headlines"]
    assert engine.image_exists(names.image())
    assert engine.healthy(app.instance)

    # Open in browser is on as soon as the service is ready; Stop once Start has answered.
    w.wait_enabled("stop")
    assert w.enabled("open-browser") and not w.enabled("start")
    assert w.text("operation-title").startswith("Starting finished in ")
    screenshot(app, "running")

    w.click("open-browser")
    engine.wait_until("the browser shim to be called", browser.opened, timeout=10)
    assert browser.opened() == [app.login_url]
    # Copy password: the clipboard gets it from Rust; the page never holds it.
    w.click("copy-password")
    w.wait("the copy to be confirmed", lambda: w.shown("password-status"))
    assert app.password not in app.driver.page_source
    status, page = engine.fetch(app.url)
    assert status == 200
    assert "occ e2e test image" in page and "variant registry" in page, page

    w.click("stop")
    w.wait_state("Stopped", timeout=30)
    assert not engine.running(app.instance)
    w.wait_enabled("start")
    assert not w.enabled("open-browser") and not w.enabled("stop")
    assert engine.refuses(app.url)
    screenshot(app, "stopped")


def test_start_builds_then_open_in_browser_then_stop(launch, names, build_context, browser,
                                                      screenshot, cfg):
    app = launch(base_settings(names, image=names.image(), image_mode="build",
                               build_context=str(build_context)))
    w = app.window
    w.wait_state("Not created yet")
    steps = dockerfile_steps(build_context)
    sleep_step = next(i for i, s in enumerate(steps, 1) if "sleep" in s)

    w.record_progress()
    w.click("start")
    # The engine adds a LABEL step at the end for each label the app asks for.
    at_sleep = re.compile(rf"Step {sleep_step} of (\d+): {re.escape(steps[sleep_step - 1])}")
    w.wait("the sleep step", lambda: at_sleep.fullmatch(w.text("build-step")), timeout=60)
    expected = w.text("build-step")
    total = int(at_sleep.fullmatch(expected).group(1))
    assert total > len(steps), expected
    assert w.shown("progress") and w.shown("build")
    assert w.text("operation-title") == "Starting…"
    screenshot(app, "building")

    w.wait_state(f"Running — {app.url}", timeout=90)
    seen = w.seen()
    assert expected in seen["steps"], seen["steps"]
    assert f"Building the image — step {sleep_step} of {total}" in seen["headlines"], seen["headlines"]
    assert seen["steps"][-1].startswith(f"Step {total} of {total}: LABEL "), seen["steps"]
    assert all(": LABEL " in step for step in seen["steps"] if int(step.split(" ")[1]) > len(steps))
    # Steps only move forward.
    numbers = [int(s.split(" ")[1]) for s in seen["steps"]]
    assert numbers == sorted(numbers), seen["steps"]
    assert engine.image_exists(names.image())

    w.wait_enabled("open-browser")
    w.click("open-browser")
    engine.wait_until("the browser shim to be called", browser.opened, timeout=10)
    assert browser.opened() == [app.login_url]
    status, page = engine.fetch(app.url)
    assert status == 200 and "variant built" in page, page

    w.click("stop")
    w.wait_state("Stopped", timeout=30)
    assert not engine.running(app.instance)
    w.wait_enabled("start")

    # ---- the app's own log: what happened, in a file a person can send ----
    log_dir = cfg.sandbox / "app-logs"

    def logged():
        return "".join(f.read_text() for f in log_dir.glob("opencode-cloud.log*"))
    engine.wait_until("the stop in the app's log", lambda: "status: stopped" in logged(), 10)
    text = logged()
    assert "start started" in text and "start finished in" in text, text
    browser.clear()
    w.click("open-log-folder")
    engine.wait_until("the folder to be opened", browser.opened, timeout=10)
    assert browser.opened() == [str(log_dir)]
