"""The Folders card: a folder added (through the command "Add folder…" calls after the system's
picker, which a test cannot click) shows in the list; the read-only box and Remove change the
settings file; a refused folder says why and changes nothing."""

import json

from support import base_settings


def test_folders_added_listed_made_read_only_and_removed(cfg, launch, names, config_dir):
    folder = cfg.sandbox / f"{names.instance}-src" / "project"
    folder.mkdir(parents=True)
    app = launch(base_settings(names, image=cfg.image, image_mode="build",
                               build_context=str(cfg.build_context)))
    w = app.window
    settings_file = config_dir / "settings.json"
    w.wait("the empty folder list", lambda: w.shown("folders-empty"))

    added = w.invoke("add_folder", {"path": str(folder), "readOnly": False})
    assert added["ok"], added
    target = "/home/opencode/workspace/project"
    w.wait("the folder in the list",
           lambda: w.text("folders").startswith(f"{folder} → {target}"))
    assert not w.shown("folders-empty")
    assert json.loads(settings_file.read_text())["mounts"] == [
        {"host": str(folder), "read_only": False}]

    # Refused: the words are the core's, and the file does not change.
    saved = settings_file.read_bytes()
    refused = w.invoke("add_folder", {"path": "/etc", "readOnly": False})
    assert not refused["ok"]
    assert refused["error"]["kind"] == "settings", refused
    assert "/etc is a system folder" in refused["error"]["message"], refused
    assert settings_file.read_bytes() == saved

    w.click("folder-read-only-0")
    w.wait("read_only saved",
           lambda: json.loads(settings_file.read_text())["mounts"][0]["read_only"] is True)
    w.wait_text("folders-status", "Saved: applies at the next Start.")
    assert w.el("folder-read-only-0").is_selected()

    w.click("folder-remove-0")
    w.wait("the list emptied", lambda: w.shown("folders-empty"))
    assert json.loads(settings_file.read_text())["mounts"] == []
    assert folder.is_dir(), "removing a mount never touches the folder"
