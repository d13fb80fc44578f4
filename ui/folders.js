// The Folders card (host folders mounted into the container) and the Disk card. The rules and
// the words are the core's (occ_core::mounts, ::disk); this file only shows them.

import { errorMessage } from "./render.js";

const $ = (id) => document.getElementById(id);

/** A size as `docker system df` writes it: decimal units, 3 significant digits. */
export function humanSize(bytes) {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

/** The Disk card's lines, from the app's DiskUsage. */
export function diskLines(usage) {
  const lines = [];
  lines.push(
    usage.image
      ? `Image ${usage.image.name}: ${humanSize(usage.image.size)} (${humanSize(usage.image.shared_size)} shared with other images)`
      : "Image: not on this machine",
  );
  for (const v of usage.volumes ?? []) {
    lines.push(`Volume ${v.name}: ${v.size === null ? "not created" : humanSize(v.size)}`);
  }
  lines.push(`Old images and their build cache (Clean up removes them): ${humanSize(usage.dangling?.size)}`);
  lines.push(`The engine's BuildKit cache (every build's, not cleaned here): ${humanSize(usage.engine_build_cache?.size)}`);
  return lines;
}

/**
 * Wires the two cards. `invoke` is Tauri's; `onMounts(mounts)` keeps the settings form's copy of
 * the `mounts` setting current, so saving the form never drops a folder added here.
 */
export function initFolders(invoke, onMounts) {
  const say = (text, isError = false) => {
    const out = $("folders-status");
    out.textContent = text;
    out.classList.toggle("error-text", isError);
  };

  const show = (answer) => {
    onMounts(answer.mounts ?? []);
    const folders = answer.folders ?? [];
    $("folders").replaceChildren(...folders.map(row));
    $("folders-empty").hidden = folders.length > 0;
    const notes = [...(answer.warnings ?? []), ...(answer.ownership ? [answer.ownership] : [])];
    $("folders-notes").replaceChildren(
      ...notes.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }),
    );
    $("folders-notes").hidden = notes.length === 0;
  };

  const run = async (command, args, done) => {
    try {
      const answer = await invoke(command, args);
      if (answer) {
        show(answer);
        say(done);
      }
    } catch (error) {
      say(errorMessage(error), true);
    }
  };

  function row(folder, i) {
    const li = document.createElement("li");
    li.className = "folder";
    const where = document.createElement("span");
    where.className = "folder-path";
    where.textContent = `${folder.host} → ${folder.container}`;
    const label = document.createElement("label");
    label.className = "check";
    const ro = document.createElement("input");
    ro.type = "checkbox";
    ro.id = `folder-read-only-${i}`;
    ro.checked = folder.read_only;
    ro.addEventListener("change", () =>
      run("set_folder_read_only", { path: folder.host, readOnly: ro.checked }, "Saved: applies at the next Start."),
    );
    label.append(ro, " Read-only");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.id = `folder-remove-${i}`;
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${folder.host}`);
    remove.addEventListener("click", () =>
      run("remove_folder", { path: folder.host }, "Removed: applies at the next Start."),
    );
    li.append(where, label, remove);
    return li;
  }

  $("add-folder").addEventListener("click", () =>
    run("pick_folder", undefined, "Added: applies at the next Start."),
  );

  const showDisk = async () => {
    try {
      const usage = await invoke("disk_usage");
      $("disk").textContent = diskLines(usage).join("\n");
    } catch (error) {
      $("disk").textContent = errorMessage(error);
    }
  };
  $("disk-refresh").addEventListener("click", showDisk);
  $("clean-up").addEventListener("click", async () => {
    try {
      const cleaned = await invoke("clean_up");
      $("disk-status").textContent = `Freed ${humanSize(cleaned.space_freed)} (${cleaned.images_deleted} old image records removed; volumes untouched).`;
      await showDisk();
    } catch (error) {
      $("disk-status").textContent = errorMessage(error);
    }
  });

  // A change made elsewhere (another window, a direct command call) shows here too.
  window.__TAURI__.event.listen("folders", (event) => show(event.payload));
  run("folders", undefined, "");
}
