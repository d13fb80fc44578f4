// DOM glue for the opencode-cloud desktop window. All decisions (labels,
// which buttons are enabled, how progress folds into a view, settings
// validation) live in render.js; this file only wires Tauri to the DOM.
// Contract: docs/ARCHITECTURE.md.

import * as R from "./render.js";
import { initFolders } from "./folders.js";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// State

const ui = {
  status: null, // last Status
  view: null, // the status view from the app (headline, detail, tone, actions), or null
  op: null, // operation view (render.js), or null
  pending: 0, // lifecycle commands sent from this window and not answered yet
  settings: null, // last Settings from get_settings / save_settings
  saving: false,
  following: false,
  logLines: [],
  progressHidden: false, // the user closed a finished operation's card
};

let hideTimer = null;
let usageTimer = null;
/** How often the open window asks for the usage (one sample each; nothing while closed). */
const USAGE_EVERY_MS = 5000;
let frame = 0;


/** Redraw on the next animation frame (pulls emit many events a second). */
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

// ---------------------------------------------------------------------------
// Rendering

function show(el, visible) {
  el.hidden = !visible;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// Log panes follow the end of their text unless the user scrolled up.
const unstuck = new WeakSet();

function trackScroll(el) {
  el.addEventListener("scroll", () => {
    if (el.clientHeight === 0) return; // hidden
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 24) unstuck.delete(el);
    else unstuck.add(el);
  });
}

/** Runs `update` and keeps `el` scrolled to the end unless the user scrolled up. */
function keepAtBottom(el, update) {
  update();
  if (!unstuck.has(el)) el.scrollTop = el.scrollHeight;
}

function setBar(bar, current, total) {
  if (typeof total === "number" && total > 0 && typeof current === "number") {
    bar.max = total;
    bar.value = Math.min(current, total);
  } else {
    bar.removeAttribute("value"); // indeterminate
  }
}

function render() {
  renderStatus();
  renderProgress();
  renderLogs();
}

// Every word, colour and enabled flag of the status comes from the app (the core's status
// view, the same one the tray and `occ status` show); this only puts it on the page.
const ACTION_BUTTONS = {
  start: "start",
  stop: "stop",
  restart: "restart",
  update: "update",
  remove: "remove",
  open: "open-browser",
};

function renderStatus() {
  const s = ui.status;
  const v = ui.view;
  setText($("state"), v ? v.headline : "Connecting…");
  $("state-dot").dataset.tone = v ? v.tone : "busy";

  // The URL is in the headline; the meta line names image and container, cut to one line with
  // the whole text on hover.
  const meta = s && s.state !== "unreachable" ? [s.image, s.container && `container ${s.container}`] : [];
  // Which engine answered and where it was found ("Podman 4.3.1 at …, from context podman").
  if (v && v.engine) meta.push(v.engine);
  const metaText = meta.filter(Boolean).join(" · ");
  setText($("status-meta"), metaText);
  $("status-meta").title = metaText;
  show($("status-meta"), metaText !== "");

  const hint = v ? v.detail : "";
  setText($("hint"), hint);
  show($("hint"), hint !== "");

  for (const [action, id] of Object.entries(ACTION_BUTTONS)) {
    const a = v ? v.actions[action] : null;
    // A command sent from this window and not answered yet holds the lifecycle buttons.
    const held = ui.pending > 0 && action !== "open";
    $(id).disabled = !a || !a.enabled || held;
    $(id).title = a && a.why_not ? a.why_not : held ? "Waiting for the last command to finish." : "";
  }
  // The password itself never reaches this page: Copy asks Rust to put it on the clipboard.
  const off = !!ui.settings && ui.settings.require_password === false;
  const busy = ui.pending > 0 || !!(ui.op && ui.op.phase === "running");
  $("copy-password").disabled = ui.settings === null || off;
  $("new-password").disabled = ui.settings === null || off || busy;
  show($("password-off"), off);
  $("save-settings").disabled = ui.settings === null || ui.saving;
  setText($("follow-logs"), ui.following ? "Stop following" : "Follow logs");
}

const layerRowsById = new Map();
let renderedBuildLog = null; // the view.log array last written to #build-log
let renderedLogs = null; // the ui.logLines array last written to #logs

function renderLayers(view) {
  const list = $("layers");
  const rows = view ? R.layerRows(view) : [];
  const ids = new Set(rows.map((r) => r.id));
  for (const [id, row] of layerRowsById) {
    if (!ids.has(id)) {
      row.li.remove();
      layerRowsById.delete(id);
    }
  }
  for (const r of rows) {
    let row = layerRowsById.get(r.id);
    if (!row) {
      const li = document.createElement("li");
      li.dataset.id = r.id;
      const id = document.createElement("span");
      id.className = "layer-id";
      id.textContent = r.id.slice(0, 12);
      const status = document.createElement("span");
      status.className = "layer-status";
      const bar = document.createElement("progress");
      li.append(id, status, bar);
      list.append(li);
      row = { li, status, bar };
      layerRowsById.set(r.id, row);
    }
    setText(row.status, r.text);
    row.li.classList.toggle("done", r.done);
    if (r.done) setBar(row.bar, 1, 1);
    else setBar(row.bar, r.current, r.total);
  }
  show(list, rows.length > 0);
}

function renderProgress() {
  const v = ui.op;
  const visible = v !== null && !(v.phase !== "running" && ui.progressHidden);
  show($("progress"), visible);
  if (!visible) {
    renderLayers(null);
    return;
  }
  const running = v.phase === "running";
  setText($("operation-title"), R.operationSummary(v));
  $("progress").dataset.phase = v.phase;
  show($("progress-close"), !running);

  setText($("stage"), running && v.stage ? v.stage : "");
  show($("stage"), running && !!v.stage);

  const health = running ? R.healthLabel(v.health) : "";
  setText($("health"), health);
  show($("health"), health !== "");

  const failed = $("failed-sources");
  const failedKey = JSON.stringify(v.failedSources);
  if (failed.dataset.key !== failedKey) {
    failed.dataset.key = failedKey;
    failed.replaceChildren(
      ...v.failedSources.map((f) => {
        const li = document.createElement("li");
        li.textContent = `Could not pull ${f.source ?? "the image"}: ${f.reason}`;
        return li;
      }),
    );
  }
  show(failed, v.failedSources.length > 0);

  const source = running && v.source && !v.pulled ? `Pulling ${v.source}` : v.pulled ? `Pulled ${v.pulled.image ?? v.pulled.source}` : "";
  setText($("pull-source"), source);
  show($("pull-source"), source !== "");

  renderLayers(running ? v : null);

  const overall = running ? R.overallLabel(v.overall) : "";
  setText($("overall-text"), overall);
  if (running && v.overall) setBar($("overall-bar"), v.overall.current, v.overall.total);
  show($("overall"), overall !== "");

  const step = running ? R.buildStepLabel(v.build) : "";
  setText($("build-step"), step);
  if (step) setBar($("build-bar"), v.build.step, v.build.total);
  show($("build"), step !== "");

  // The build log stays visible after a failed build: it usually says why.
  const log = $("build-log");
  const lines = $("build-log-all").checked ? v.fullLog : v.log;
  const showLog = v.fullLog.length > 0 && (running || v.phase === "failed");
  show($("build-log-all-label"), showLog);
  const wasHidden = log.hidden;
  show(log, showLog); // before writing: a hidden pane cannot be scrolled
  if (wasHidden && showLog) unstuck.delete(log);
  if (renderedBuildLog !== lines || (wasHidden && showLog)) {
    renderedBuildLog = lines;
    keepAtBottom(log, () => {
      log.textContent = lines.join("\n");
    });
  }
}

function renderLogs() {
  const pane = $("logs");
  if (renderedLogs === ui.logLines) return;
  renderedLogs = ui.logLines;
  keepAtBottom(pane, () => {
    pane.textContent = ui.logLines.join("\n");
  });
}

// ---------------------------------------------------------------------------
// Errors

function showError(error) {
  const { headline, details } = R.splitMessage(R.errorMessage(error));
  setText($("error-message"), headline);
  setText($("error-detail"), details);
  show($("error-details"), details !== "");
  show($("error"), true);
}

function hideError() {
  show($("error"), false);
}

// ---------------------------------------------------------------------------
// Events from the app

function onStatus(status) {
  ui.status = status;
  schedule();
}

function onView(view) {
  ui.view = view;
  schedule();
}

function onProgress(payload) {
  if (!ui.op || ui.op.phase !== "running") {
    // An operation the window did not see start (or a new one after a finished one).
    ui.op = R.initialOperationView(payload?.operation ?? null);
    ui.progressHidden = false;
    clearTimeout(hideTimer);
  }
  ui.op = R.applyProgress(ui.op, payload);
  schedule();
}

function onOperation(event) {
  ui.op = R.applyOperation(ui.op, event);
  clearTimeout(hideTimer);
  ui.progressHidden = false;
  if (event?.phase === "finished" || event?.phase === "failed") {
    if (event.phase === "failed") {
      showError(event.error);
    } else {
      // A successful operation's card folds away after a while.
      hideTimer = setTimeout(() => {
        ui.progressHidden = true;
        schedule();
      }, 8000);
    }
  }
  schedule();
}

function onLog(payload) {
  const line = typeof payload === "string" ? payload : payload?.line;
  if (typeof line !== "string") return;
  ui.logLines = R.appendCapped(ui.logLines, line, R.MAX_CONTAINER_LOG_LINES);
  schedule();
}

// ---------------------------------------------------------------------------
// Commands

let invoke;

/** A lifecycle command: counts as busy until it answers; errors go to the banner. */
async function lifecycle(command) {
  hideError();
  ui.pending++;
  schedule();
  try {
    await invoke(command);
  } catch (error) {
    showError(error);
  } finally {
    ui.pending--;
    schedule();
  }
}

async function call(command, args) {
  try {
    return { ok: true, value: await invoke(command, args) };
  } catch (error) {
    showError(error);
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------------------
// Settings form

const FIELDS = {
  port: "port",
  bind_address: "bind-address",
  image: "image",
  image_mode: "image-mode",
  memory: "memory",
  cpus: "cpus",
  pids: "pids",
};

function readForm() {
  return {
    port: $("port").value,
    bind_address: $("bind-address").value,
    image: $("image").value,
    image_mode: $("image-mode").value,
    stop_on_quit: $("stop-on-quit").checked,
    start_at_login: $("start-at-login").checked,
    memory: $("memory").value,
    cpus: $("cpus").value,
    pids: $("pids").value,
  };
}

function fillForm(settings) {
  const f = R.formFromSettings(settings);
  $("port").value = f.port;
  $("bind-address").value = f.bind_address;
  $("image").value = f.image;
  $("image-mode").value = f.image_mode;
  $("stop-on-quit").checked = f.stop_on_quit;
  $("start-at-login").checked = f.start_at_login;
  $("memory").value = f.memory;
  $("cpus").value = f.cpus;
  $("pids").value = f.pids;
  setText($("remove-text"), R.removeConfirmText(settings));
  checkForm();
}

function showFieldErrors(errors) {
  for (const [key, id] of Object.entries(FIELDS)) {
    const message = errors[key] ?? "";
    const input = $(id);
    const out = $(`${id}-error`);
    setText(out, message);
    show(out, message !== "");
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (message) input.setAttribute("aria-describedby", out.id);
    else input.removeAttribute("aria-describedby");
  }
}

function showWarnings(list) {
  const ul = $("settings-warnings");
  ul.replaceChildren(
    ...list.map((w) => {
      const li = document.createElement("li");
      li.textContent = w.message;
      return li;
    }),
  );
  show(ul, list.length > 0);
}

let checks = 0; // answers to older checks than the last one are dropped

/** Live validation as the user types: the app's validator answers (nothing is saved). */
async function checkForm() {
  setText($("image-label"), $("image-mode").value === "build" ? "Local image tag" : "Image name");
  if (ui.settings === null) return null;
  const settings = R.settingsFromForm(readForm(), ui.settings);
  const mine = ++checks;
  const r = await call("check_settings", { settings });
  if (mine !== checks || !r.ok) return null;
  const { error, warnings } = r.value;
  showFieldErrors(error && error.key && FIELDS[error.key] ? { [error.key]: R.errorMessage(error) } : {});
  showWarnings(warnings ?? []);
  return { settings, error };
}

async function saveSettings(event) {
  event.preventDefault();
  show($("settings-error"), false);
  setText($("settings-status"), "");
  if (ui.settings === null) return;
  const settings = R.settingsFromForm(readForm(), ui.settings);
  ui.saving = true;
  schedule();
  try {
    const saved = await invoke("save_settings", { settings });
    ui.settings = saved && typeof saved === "object" ? saved : settings;
    fillForm(ui.settings);
    setText($("settings-status"), "Saved.");
  } catch (error) {
    if (error && error.key && FIELDS[error.key]) {
      showFieldErrors({ [error.key]: R.errorMessage(error) });
      $(FIELDS[error.key]).focus();
    } else {
      setText($("settings-error"), R.errorMessage(error));
      show($("settings-error"), true);
    }
  } finally {
    ui.saving = false;
    schedule();
  }
}

async function loadSettings() {
  const r = await call("get_settings");
  if (r.ok && r.value && typeof r.value === "object") {
    ui.settings = r.value;
    fillForm(ui.settings);
  }
  schedule();
}

// ---------------------------------------------------------------------------
// Logs

async function toggleFollow() {
  const button = $("follow-logs");
  button.disabled = true;
  try {
    if (ui.following) {
      ui.following = false;
      await call("unfollow_logs");
    } else {
      const r = await call("logs", { lines: 200 });
      if (!r.ok) return;
      ui.logLines = R.appendCapped([], Array.isArray(r.value) ? r.value : [], R.MAX_CONTAINER_LOG_LINES);
      schedule();
      const f = await call("follow_logs");
      ui.following = f.ok;
    }
  } finally {
    button.disabled = false;
    schedule();
  }
}

// ---------------------------------------------------------------------------
// Remove confirmation

function confirmRemove() {
  const dialog = $("remove-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  $("remove-cancel").focus();
}

// ---------------------------------------------------------------------------
// Start-up

// ---------------------------------------------------------------------------
// Usage: the limits in force beside the live use. One sample at a time, only while this window
// exists (closing it destroys it) and is visible, and only while the container runs.

async function refreshUsage() {
  usageTimer = null;
  let text = "";
  if (ui.status && ui.status.state === "running" && document.visibilityState === "visible") {
    try {
      text = R.usageText(await invoke("usage"));
    } catch {
      text = ""; // a sample that failed is simply not shown; the status says what is wrong
    }
  }
  setText($("usage"), text);
  show($("usage"), text !== "");
  usageTimer = setTimeout(refreshUsage, USAGE_EVERY_MS);
}

function wire() {
  $("start").addEventListener("click", () => lifecycle("start"));
  $("stop").addEventListener("click", () => lifecycle("stop"));
  $("restart").addEventListener("click", () => lifecycle("restart"));
  $("update").addEventListener("click", () => lifecycle("update"));
  $("remove").addEventListener("click", confirmRemove);
  $("remove-dialog").addEventListener("close", () => {
    if ($("remove-dialog").returnValue === "remove") lifecycle("remove_container");
  });
  $("open-browser").addEventListener("click", () => call("open_in_browser"));
  $("copy-password").addEventListener("click", async () => {
    const r = await call("copy_password");
    setText($("password-status"), r.ok ? "Password copied to the clipboard." : "");
    show($("password-status"), r.ok);
  });
  $("new-password").addEventListener("click", async () => {
    show($("password-status"), false);
    await lifecycle("new_password");
  });
  $("error-dismiss").addEventListener("click", hideError);
  $("build-log-all").addEventListener("change", schedule);
  $("progress-close").addEventListener("click", () => {
    ui.progressHidden = true;
    schedule();
  });
  $("settings-form").addEventListener("submit", saveSettings);
  $("settings-form").addEventListener("input", () => {
    setText($("settings-status"), "");
    checkForm();
  });
  trackScroll($("build-log"));
  trackScroll($("logs"));
  $("follow-logs").addEventListener("click", toggleFollow);
  $("open-log-folder").addEventListener("click", () => call("open_log_folder"));
  $("clear-logs").addEventListener("click", () => {
    ui.logLines = [];
    schedule();
  });
  window.addEventListener("beforeunload", () => {
    if (ui.following) invoke("unfollow_logs").catch(() => {});
  });
}

async function main() {
  wire();
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core || !tauri.event) {
    showError("The Tauri API is not available: open this window from the opencode-cloud app.");
    return;
  }
  invoke = tauri.core.invoke;
  const { listen } = tauri.event;

  // Listen first and queue what arrives until the snapshot answers, so a
  // window opened mid-operation neither misses nor repeats events.
  let queue = [];
  const handlers = { status: onStatus, view: onView, progress: onProgress, operation: onOperation, log: onLog };
  for (const name of Object.keys(handlers)) {
    await listen(name, (event) => {
      if (queue) queue.push({ name, payload: event.payload });
      else handlers[name](event.payload);
    });
  }

  let snapshot = null;
  try {
    snapshot = await invoke("snapshot");
  } catch (error) {
    showError(error);
  }

  const queued = queue;
  queue = null;
  let skip = 0;
  if (snapshot) {
    ui.status = snapshot.status ?? null;
    ui.view = snapshot.view ?? null;
    if (snapshot.operation) {
      const events = snapshot.operation.events ?? [];
      ui.op = R.replayProgress(R.initialOperationView(snapshot.operation.name), events);
      // Live events already folded into the snapshot are not applied twice.
      const live = queued.filter((e) => e.name === "progress").map((e) => e.payload?.progress ?? e.payload);
      skip = R.overlapLength(events, live);
    }
    if (snapshot.last_error) showError(snapshot.last_error);
    // What loading the settings changed in the file, said once per launch.
    const notices = snapshot.notices ?? [];
    $("notices").replaceChildren(
      ...notices.map((text) => {
        const p = document.createElement("p");
        p.textContent = text;
        return p;
      }),
    );
    show($("notices"), notices.length > 0);
  }
  for (const { name, payload } of queued) {
    if (name === "progress" && skip > 0) {
      skip--;
      continue;
    }
    handlers[name](payload);
  }
  schedule();
  await loadSettings();
  initFolders(invoke, (mounts) => {
    if (ui.settings !== null) ui.settings = { ...ui.settings, mounts };
  });
}

main()
  .then(() => {
    if (invoke && usageTimer === null) refreshUsage();
  })
  .catch((error) => showError(error));
