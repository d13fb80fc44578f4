"""The settings form: a wrong value changes nothing; a saved new port (then a new image) is
applied by the next Start, which recreates the container and keeps the three volumes."""

import json

import engine
from support import base_settings


def test_invalid_port_changes_nothing_and_new_port_then_image_recreate_on_start(
        cfg, launch, names, config_dir):
    settings = base_settings(names, image=cfg.image, image_mode="build",
                             build_context=str(cfg.build_context))
    old_port = settings["port"]
    app = launch(settings)
    w = app.window
    w.click("start")
    w.wait_state(f"Running — {app.url}")
    seeded = engine.seed_volumes(app.instance)
    before = engine.inspect(app.instance)
    settings_file = config_dir / "settings.json"
    saved_bytes = settings_file.read_bytes()

    # ---- 70000: the form says why, and nothing moves ----
    since = engine.engine_time()
    w.wait_enabled("save-settings")
    w.type("port", "70000")
    w.click("save-settings")
    w.wait("the port's error", lambda: w.shown("port-error"))
    # The words are the core validator's, the same `occ config set port 70000` prints.
    assert w.text("port-error") == "Setting `port` must be a whole number from 1 to 65535, not 70000."
    assert w.el("port").get_attribute("aria-invalid") == "true"
    assert w.text("settings-status") == ""
    # The app checks again on its side: a save that skips the form is refused as well.
    refused = w.invoke("save_settings", {"settings": {**json.loads(saved_bytes), "port": 70000}})
    assert not refused["ok"]
    assert refused["error"]["kind"] == "settings"
    assert refused["error"]["key"] == "port", refused
    assert settings_file.read_bytes() == saved_bytes
    after = engine.inspect(app.instance)
    assert (after["Id"], after["State"]["StartedAt"]) == (before["Id"], before["State"]["StartedAt"])
    assert after["State"]["Running"]
    assert engine.published(app.instance) == [f"127.0.0.1:{old_port}"]
    assert engine.container_events(app.instance, since, engine.engine_time()) == []
    assert w.text("state") == f"Running — {app.url}"

    # ---- a free port: saved, and the next Start recreates the container there ----
    w.click("stop")
    w.wait_state("Stopped")
    new_port = engine.free_port()
    w.type("port", str(new_port))
    w.click("save-settings")
    w.wait_text("settings-status", "Saved.")
    assert not w.shown("port-error")
    saved = json.loads(settings_file.read_text())
    assert saved["port"] == new_port
    # What the form does not show is kept (the file now spells out the defaults too).
    for key, value in json.loads(saved_bytes).items():
        assert key == "port" or saved[key] == value, (key, saved)

    new_url = f"http://127.0.0.1:{new_port}/"
    w.wait_enabled("start")
    w.click("start")
    w.wait_state(f"Running — {new_url}")
    recreated = engine.inspect(app.instance)
    assert recreated["Id"] != before["Id"]
    assert engine.published(app.instance) == [f"127.0.0.1:{new_port}"]
    assert engine.volume_digest(app.instance) == seeded
    assert engine.fetch(new_url)[0] == 200
    assert engine.refuses(f"http://127.0.0.1:{old_port}/")

    # ---- another image: the same, and the page is the new image's ----
    w.click("stop")
    w.wait_state("Stopped")
    w.type("image", cfg.image_2)
    w.click("save-settings")
    w.wait_text("settings-status", "Saved.")
    assert json.loads(settings_file.read_text())["image"] == cfg.image_2
    w.wait_enabled("start")
    w.click("start")
    w.wait_state(f"Running — {new_url}")
    on_image_2 = engine.inspect(app.instance)
    assert on_image_2["Id"] != recreated["Id"]
    assert on_image_2["Config"]["Image"] == cfg.image_2
    assert engine.volume_digest(app.instance) == seeded
    assert "variant 2" in engine.fetch(new_url)[1]
