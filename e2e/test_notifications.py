"""Desktop notifications, as a notification daemon on the session bus receives them.

Start announces "ready" (or why it failed); image work that is not part of a start announces its
end. The window has no button for a bare pull or build: those run through the app's `pull` and
`build` commands (docs/ARCHITECTURE.md), the way the window calls them; "Update image" is the
button that rebuilds."""

import re

import engine
from support import base_settings, dockerfile_steps


def test_ready_notice_names_the_url(cfg, launch, names, desktop):
    app = launch(base_settings(names, image=cfg.image, image_mode="build",
                               build_context=str(cfg.build_context)))
    mark = len(desktop.notifications)
    app.window.click("start")
    ready = desktop.wait_notification(mark, "opencode is ready")
    assert ready.body == f"Open {app.url} in your browser."
    assert ready.sender_pid == app.pid  # from the app itself
    app.window.wait_state(f"Running — {app.url}")
    assert [n.summary for n in desktop.notifications_since(mark)] == ["opencode is ready"]


def test_build_finished_notices_say_how_long(launch, names, build_context, desktop):
    image = names.image()
    app = launch(base_settings(names, image=image, image_mode="build",
                               build_context=str(build_context)))
    w = app.window
    w.wait_state("Not created yet")

    mark = len(desktop.notifications)
    assert w.invoke("build") == {"ok": True, "value": None}
    built = desktop.wait_notification(mark, "Image built")
    took = re.fullmatch(rf"Built {re.escape(image)} in (\d+\.\d) s\.", built.body)
    assert took, built.body
    assert float(took[1]) >= 2.0  # the Dockerfile sleeps 2 s
    assert engine.image_exists(image)
    w.wait("the finished build in the window",
           lambda: w.text("operation-title").startswith("Building image finished in "))

    # "Update image" rebuilds (here from the cache) and says so, with the time it took.
    w.wait_enabled("update")
    mark = len(desktop.notifications)
    w.click("update")
    updated = desktop.wait_notification(mark, "Image updated")
    assert re.fullmatch(rf"{re.escape(image)} is up to date \(took \d+\.\d s\)\.", updated.body), \
        updated.body
    assert [n.summary for n in desktop.notifications_since(mark)] == ["Image updated"]


def test_build_failed_notices_name_the_step(cfg, launch, names, desktop, screenshot):
    app = launch(base_settings(names, image=names.image(), image_mode="build",
                               build_context=str(cfg.failing_context)))
    w = app.window
    steps = dockerfile_steps(cfg.failing_context)
    failing = next(i for i, s in enumerate(steps, 1) if "exit 7" in s)
    # n/total, where total counts the LABEL steps the engine adds for the app's labels.
    at_step_re = re.compile(
        rf"The image build failed at step {failing}/\d+ `{re.escape(steps[failing - 1])}`")

    mark = len(desktop.notifications)
    w.record_progress()
    w.click("start")
    failed = desktop.wait_notification(mark, "Could not start opencode", timeout=60)
    assert at_step_re.match(failed.body), failed.body
    # The headline followed the build to the failing step, then went back to the state.
    headlines = w.seen()["headlines"]
    assert any(re.fullmatch(rf"Building the image — step {failing} of \d+", h) for h in headlines), \
        headlines
    at_step = at_step_re.match(failed.body).group(0)
    assert failed.body.startswith(at_step + ": "), failed.body
    assert "non-zero code: 7" in failed.body and "\n" not in failed.body, failed.body
    # The window tells the same, with the step's output.
    w.wait("the error banner", lambda: w.shown("error"))
    assert at_step in w.text("error-message")
    w.wait("the failed build's log", lambda: w.shown("build-log"))
    assert "e2e: this step fails on purpose" in w.text("build-log")
    assert w.text("operation-title").startswith("Starting failed in ")
    # Said once: the banner holds the error, the card only its outcome; no builder bookkeeping.
    assert at_step not in w.text("operation-title")
    error_text = w.driver.execute_script(
        "return document.getElementById('error').textContent;")
    for noise in ("Running in ", "Removing intermediate container"):
        assert noise not in error_text and noise not in w.text("build-log"), error_text
    assert not engine.image_exists(names.image())
    assert engine.inspect(app.instance) is None
    w.wait_text("state", "Not created yet")
    w.wait_enabled("start")
    screenshot(app, "error")

    mark = len(desktop.notifications)
    refused = w.invoke("build")
    assert not refused["ok"] and refused["error"]["kind"] == "build_failed", refused
    failed = desktop.wait_notification(mark, "Image build failed")
    assert failed.body.startswith(at_step + ": "), failed.body


def test_pull_finished_notice_says_how_long(cfg, launch, names, desktop):
    image = names.image()
    dead = f"127.0.0.1:{engine.free_port()}"
    app = launch(base_settings(names, image=image, image_mode="pull",
                               image_sources=[cfg.remote(dead), cfg.remote()]))
    w = app.window
    w.wait_state("Not created yet")
    mark = len(desktop.notifications)
    assert w.invoke("pull") == {"ok": True, "value": None}
    pulled = desktop.wait_notification(mark, "Image pulled")
    assert re.fullmatch(rf"Pulled {re.escape(image)} in \d+\.\d s\.", pulled.body), pulled.body
    assert [n.summary for n in desktop.notifications_since(mark)] == ["Image pulled"]
    assert engine.image_exists(image)
    w.wait("the finished pull in the window",
           lambda: w.text("operation-title").startswith("Pulling image finished in "))


def test_pull_failed_notices_name_every_source(cfg, launch, names, desktop):
    sources = [cfg.remote(f"127.0.0.1:{engine.free_port()}") for _ in range(2)]
    # Start falls back to building when no source has the image; this build fails at `exit 7`.
    app = launch(base_settings(names, image=names.image(), image_mode="pull",
                               image_sources=sources, build_context=str(cfg.failing_context)))
    w = app.window
    w.wait_state("Not created yet")

    mark = len(desktop.notifications)
    w.click("start")
    failed = desktop.wait_notification(mark, "Could not start opencode", timeout=60)
    assert failed.body.startswith("The image build failed at step "), failed.body
    # The window says why it built, and which sources failed.
    w.wait("the error banner", lambda: w.shown("error"))
    assert all(f"Could not pull {source}:" in w.text("failed-sources") for source in sources), \
        w.text("failed-sources")

    mark = len(desktop.notifications)
    refused = w.invoke("pull")
    assert not refused["ok"] and refused["error"]["kind"] == "pull_failed", refused
    failed = desktop.wait_notification(mark, "Image pull failed")
    assert failed.body.startswith("Could not pull the image from any source: "), failed.body
    assert all(f"{source} (" in failed.body for source in sources), failed.body
    assert not engine.image_exists(names.image())
