"""The tray, as a desktop's tray host shows it: read over D-Bus (StatusNotifierItem +
com.canonical.dbusmenu), clicked with dbusmenu `Event(id, "clicked", …)`."""

import time

import engine
from support import base_settings

QUIT_KEEP = "Quit (container keeps running)"
QUIT_STOP = "Quit and stop the container"


def test_tray_start_open_stop_outside_stop_and_quit(launch, names, build_context, browser,
                                                   desktop):
    app = launch(base_settings(names, image=names.image(), image_mode="build",
                               build_context=str(build_context)))
    tray = app.tray
    assert app.tray.service in {r.sender for r in desktop.registrations}

    # ---- not created yet: Start and Update offered, nothing to open ----
    line, items = tray.wait_view("the not-created status", lambda l, i: l == "Not created yet")
    # The menu names the engine it talks to.
    assert tray.engine_line().startswith("Engine: Docker "), tray.engine_line()
    assert items == {"Start": True, "Restart": False, "Open in browser": False,
                     "Show window": True, "Update image": True, QUIT_KEEP: True}

    # ---- Start: busy while the image builds, then running ----
    tray.click("Start")
    line, items = tray.wait_view("the busy state", lambda l, i: l == "Starting…")
    assert items == {"Start": False, "Restart": False, "Open in browser": False,
                     "Show window": True, "Update image": False, QUIT_KEEP: True}
    line, items = tray.wait_view("running", lambda l, i: l == f"Running — {app.url}", timeout=90)
    assert items == {"Stop": True, "Restart": True, "Open in browser": True,
                     "Show window": True, "Update image": True, QUIT_KEEP: True}
    assert engine.healthy(app.instance)
    app.window.wait_state(f"Running — {app.url}", timeout=5)

    # ---- Open in browser: the desktop is asked to open exactly the app's URL ----
    tray.click("Open in browser")
    engine.wait_until("the browser shim to be called", browser.opened, timeout=10)
    assert browser.opened() == [app.login_url]
    assert "occ e2e test image" in engine.fetch(app.url)[1]

    # ---- Stop, Start again ----
    tray.click("Stop")
    line, items = tray.wait_view("stopped", lambda l, i: l == "Stopped")
    assert items == {"Start": True, "Restart": False, "Open in browser": False,
                     "Show window": True, "Update image": True, QUIT_KEEP: True}
    assert not engine.running(app.instance)
    tray.click("Start")
    tray.wait_view("running again", lambda l, i: l == f"Running — {app.url}")
    assert engine.healthy(app.instance)

    # ---- `docker stop` from outside: the menu follows within a second ----
    mark = tray.signal_mark()
    engine.docker("stop", app.instance)
    stopped_at = time.monotonic()
    line, items = tray.wait_view("Stopped within 1 s of docker stop",
                                 lambda l, i: l == "Stopped", timeout=1.0)
    # The change signals: read on the bus's own thread, so maybe a moment after the layout.
    signals = desktop.wait("a LayoutUpdated / ItemsPropertiesUpdated signal",
                           lambda: tray.signals_since(mark),
                           timeout=max(0.0, stopped_at + 1.0 - time.monotonic()))
    assert {s.member for s in signals} <= {"LayoutUpdated", "ItemsPropertiesUpdated"}, signals
    print(f"tray menu signal {1000 * (signals[0].at - stopped_at):+.0f} ms from `docker stop` "
          f"returning")
    assert items["Start"] and not items["Open in browser"]
    app.window.wait_state("Stopped", timeout=5)  # the window follows too

    # ---- Quit: the app exits, the container keeps running ----
    tray.click("Start")
    tray.wait_view("running before quitting", lambda l, i: l == f"Running — {app.url}")
    tray.click(QUIT_KEEP)
    assert app.wait_exit(30), "the app did not exit after Quit"
    engine.wait_until("the app to leave the bus", lambda: not desktop.has_owner(tray.service), 5)
    assert engine.healthy(app.instance)


def test_tray_quit_stops_the_container_when_asked(cfg, launch, names, desktop):
    app = launch(base_settings(names, image=cfg.image, image_mode="build",
                               build_context=str(cfg.build_context), stop_on_quit=True))
    tray = app.tray
    tray.click("Start")
    line, items = tray.wait_view("running", lambda l, i: l == f"Running — {app.url}")
    assert QUIT_STOP in items and QUIT_KEEP not in items
    tray.click(QUIT_STOP)
    assert app.wait_exit(30), "the app did not exit after Quit"
    assert not engine.running(app.instance)
    assert engine.inspect(app.instance)["State"]["ExitCode"] == 0
