// Pure helpers for the opencode-cloud desktop window.
//
// Nothing in this file touches the DOM, `window` or Tauri: every function takes
// plain JSON (shaped as in docs/ARCHITECTURE.md) and returns plain values, so
// `node --test ui/tests/` can check them. app.js is the DOM glue.
//
// Reducers (`applyProgress`, `applyOperation`) never mutate their input: they
// return a new view and share the parts that did not change.

/** Build log lines kept in an operation view (the newest win). */
export const MAX_LOG_LINES = 500;

/** Container log lines kept in the Logs pane (the newest win). */
export const MAX_CONTAINER_LOG_LINES = 2000;


// ---------------------------------------------------------------------------
// Status

/**
 * Human name of an operation, for titles ("Starting", "Pulling image", …).
 * @param {string} name
 * @returns {string}
 */
export function operationLabel(name) {
  const labels = {
    start: "Starting",
    stop: "Stopping",
    restart: "Restarting",
    pull: "Pulling image",
    build: "Building image",
    update: "Updating image",
    remove_container: "Removing container",
    remove: "Removing container",
    new_password: "Setting a new password",
  };
  if (labels[name]) return labels[name];
  if (!name) return "Working";
  const text = String(name).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------
// Operation view model

/**
 * The empty view of an operation that just started.
 * @param {string} name operation name ("start", "pull", "build", "update", …)
 */
export function initialOperationView(name) {
  return {
    name: name ?? null,
    phase: "running", // "running" | "finished" | "failed"
    duration_ms: null,
    error: null,
    source: null, // image source being pulled
    layers: {}, // id -> { status, current, total }
    layerOrder: [], // ids in the order they first appeared
    overall: null, // { current, total } bytes of the whole pull
    failedSources: [], // [{ source, reason }]
    pulled: null, // { source, image } once a pull finished
    build: null, // { step, total, instruction, cachedSteps: [step…] }
    built: null, // { image, duration_ms } once a build finished
    log: [], // the build steps' own output, at most MAX_LOG_LINES, newest last
    fullLog: [], // the same with the builder's bookkeeping lines
    stage: null, // last stage message
    health: null, // { url, elapsed_secs, timeout_secs } while waiting
  };
}

/**
 * Appends `items` to `list` keeping only the newest `cap` entries.
 * Returns a new array; `list` is not modified.
 * @template T
 * @param {T[]} list
 * @param {T|T[]} items
 * @param {number} cap
 * @returns {T[]}
 */
export function appendCapped(list, items, cap) {
  const added = Array.isArray(items) ? items : [items];
  const all = (list ?? []).concat(added);
  return all.length > cap ? all.slice(all.length - cap) : all;
}

function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * Unwraps the `progress` event payload `{ operation, progress }` or accepts a
 * bare Progress `{ event, data }`. Returns null for anything else.
 */
function progressOf(input) {
  if (!input || typeof input !== "object") return null;
  if (typeof input.event === "string") return input;
  if (input.progress && typeof input.progress.event === "string") return input.progress;
  return null;
}

/**
 * Folds one Progress event into an operation view. Pure: `view` is not
 * modified; unknown events return `view` itself.
 * Accepts a bare Progress (`{event, data}`) or the `progress` event payload
 * (`{operation, progress}`).
 * @param {object} view from initialOperationView / a previous applyProgress
 * @param {object} progress
 * @returns {object} the new view
 */
export function applyProgress(view, progress) {
  const base = view ?? initialOperationView(null);
  const p = progressOf(progress);
  if (!p) return base;
  const d = p.data ?? {};
  switch (p.event) {
    case "stage":
      return { ...base, stage: d.message ?? null, health: null };

    case "pullStarted":
      // A new source: the layers of a source that failed are stale.
      return {
        ...base,
        source: d.source ?? null,
        layers: {},
        layerOrder: [],
        overall: null,
      };

    case "pullLayer": {
      const id = d.id == null ? "" : String(d.id);
      const known = Object.prototype.hasOwnProperty.call(base.layers, id);
      const prev = known ? base.layers[id] : null;
      // Docker sends null current/total on status-only lines ("Verifying
      // Checksum"): keep the last known numbers so the bar does not jump back.
      const layer = {
        status: d.status ?? prev?.status ?? "",
        current: num(d.current) ?? prev?.current ?? null,
        total: num(d.total) ?? prev?.total ?? null,
      };
      const next = {
        ...base,
        layers: { ...base.layers, [id]: layer },
        layerOrder: known ? base.layerOrder : base.layerOrder.concat(id),
      };
      if (d.overall && typeof d.overall === "object") {
        next.overall = { current: num(d.overall.current), total: num(d.overall.total) };
      }
      return next;
    }

    case "pullSourceFailed":
      return {
        ...base,
        failedSources: base.failedSources.concat({
          source: d.source ?? null,
          reason: d.reason ?? "",
        }),
      };

    case "pullFinished":
      return {
        ...base,
        source: d.source ?? base.source,
        pulled: { source: d.source ?? null, image: d.image ?? null },
      };

    case "buildStep":
      return {
        ...base,
        build: {
          step: num(d.step),
          total: num(d.total),
          instruction: d.instruction ?? "",
          cachedSteps: base.build?.cachedSteps ?? [],
        },
      };

    case "buildCached": {
      const step = num(d.step);
      const build = base.build ?? { step, total: null, instruction: "", cachedSteps: [] };
      if (step === null || build.cachedSteps.includes(step)) {
        return base.build ? base : { ...base, build };
      }
      return { ...base, build: { ...build, cachedSteps: build.cachedSteps.concat(step) } };
    }

    case "buildLog": {
      // The builder's own bookkeeping goes only to the full log (shown on request).
      const line = String(d.line ?? "");
      const fullLog = appendCapped(base.fullLog, line, MAX_LOG_LINES);
      if (d.bookkeeping === true) return { ...base, fullLog };
      return { ...base, fullLog, log: appendCapped(base.log, line, MAX_LOG_LINES) };
    }

    case "buildFinished":
      return {
        ...base,
        built: { image: d.image ?? null, duration_ms: num(d.duration_ms) },
      };

    case "waitingForHealth":
      return {
        ...base,
        health: {
          url: d.url ?? null,
          elapsed_secs: num(d.elapsed_secs),
          timeout_secs: num(d.timeout_secs),
        },
      };

    default:
      return base;
  }
}

/**
 * Folds a list of Progress events (e.g. `snapshot().operation.events`).
 * @param {object} view
 * @param {object[]} events
 */
export function replayProgress(view, events) {
  return (events ?? []).reduce(applyProgress, view);
}

/**
 * Folds an `operation` lifecycle event into a view. "started" begins a fresh
 * view; "finished"/"failed" close the current one (or a fresh one if the
 * window never saw it start). Pure.
 * @param {object|null} view
 * @param {{operation:string, phase:string, duration_ms?:number, error?:object}} event
 * @returns {object|null}
 */
export function applyOperation(view, event) {
  if (!event || typeof event !== "object") return view;
  const name = event.operation ?? null;
  if (event.phase === "started") return initialOperationView(name);
  if (event.phase === "finished" || event.phase === "failed") {
    const base = view && view.name === name ? view : initialOperationView(name);
    return {
      ...base,
      phase: event.phase,
      duration_ms: num(event.duration_ms),
      error: event.phase === "failed" ? event.error ?? null : null,
      health: null,
    };
  }
  return view;
}

/**
 * How many events at the end of `older` are repeated at the start of
 * `newer` (longest such overlap, compared as JSON). Lets the window drop the
 * live events it buffered while `snapshot` was answering that the snapshot
 * already contains.
 * @param {any[]} older
 * @param {any[]} newer
 * @returns {number}
 */
export function overlapLength(older, newer) {
  const a = (older ?? []).map((e) => JSON.stringify(e));
  const b = (newer ?? []).map((e) => JSON.stringify(e));
  for (let k = Math.min(a.length, b.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k; i++) {
      if (a[a.length - k + i] !== b[i]) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return 0;
}

const DONE_LAYER = /^(pull complete|already exists|download complete)$/i;

/**
 * Rows to draw for the pull layers, in first-seen order.
 * `percent` is null when the size is unknown (draw an indeterminate bar).
 * @param {object} view
 * @returns {{id:string, status:string, current:number|null, total:number|null, percent:number|null, done:boolean, text:string}[]}
 */
export function layerRows(view) {
  if (!view) return [];
  return view.layerOrder.map((id) => {
    const layer = view.layers[id];
    const done = DONE_LAYER.test(layer.status.trim());
    const pct = done ? 100 : percent(layer.current, layer.total);
    let text = layer.status;
    if (!done && layer.total !== null && layer.current !== null) {
      text += ` ${formatBytes(layer.current)} / ${formatBytes(layer.total)}`;
    }
    return { id, status: layer.status, current: layer.current, total: layer.total, percent: pct, done, text };
  });
}

/**
 * "Downloaded 12.3 MB of 80.0 MB (15%)"-style line for the whole pull.
 * @param {{current:number|null, total:number|null}|null} overall
 */
export function overallLabel(overall) {
  if (!overall) return "";
  const { current, total } = overall;
  if (current === null && total === null) return "";
  if (total === null) return `${formatBytes(current)} downloaded`;
  const pct = percent(current, total);
  return `${formatBytes(current ?? 0)} of ${formatBytes(total)}${pct === null ? "" : ` (${pct}%)`}`;
}

/**
 * "Step 3 of 12: RUN apt-get update" (+ " (cached)" when that step hit the cache).
 * @param {object|null} build view.build
 */
export function buildStepLabel(build) {
  if (!build || build.step === null || build.step === undefined) return "";
  const of = build.total ? ` of ${build.total}` : "";
  const cached = build.cachedSteps.includes(build.step) ? " (cached)" : "";
  const instruction = build.instruction ? `: ${build.instruction}` : "";
  return `Step ${build.step}${of}${instruction}${cached}`;
}

/**
 * "Waiting for http://127.0.0.1:3000/ to answer (12 s of 120 s)".
 * @param {object|null} health view.health
 */
export function healthLabel(health) {
  if (!health) return "";
  const target = health.url ? `${health.url} to answer` : "the health check";
  const elapsed = health.elapsed_secs;
  const timeout = health.timeout_secs;
  let time = "";
  if (elapsed !== null && timeout !== null) time = ` (${elapsed} s of ${timeout} s)`;
  else if (elapsed !== null) time = ` (${elapsed} s)`;
  return `Waiting for ${target}${time}`;
}

/**
 * One-line summary of a closed operation: "Pulling image finished in 4.2 s".
 * @param {object|null} view
 */
export function operationSummary(view) {
  if (!view) return "";
  const label = operationLabel(view.name);
  const took = view.duration_ms === null ? "" : ` in ${formatDuration(view.duration_ms)}`;
  if (view.phase === "finished") return `${label} finished${took}`;
  // The error itself is said once, in the window's error banner.
  if (view.phase === "failed") return `${label} failed${took}`;
  return `${label}…`;
}

// ---------------------------------------------------------------------------
// Formatting

/**
 * Bytes in decimal units as Docker prints them: "0 B", "999 B", "1.5 kB",
 * "12.3 MB", "1.2 GB". Returns "" for null/undefined/NaN.
 * @param {number|null|undefined} n
 */
export function formatBytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  const sign = n < 0 ? "-" : "";
  let value = Math.abs(n);
  if (value < 1000) return `${sign}${Math.round(value)} B`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let i = -1;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  // 999.96 kB would print "1000.0 kB": carry to the next unit instead.
  if (value >= 999.95 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${sign}${value.toFixed(1)} ${units[i]}`;
}

/**
 * Integer percentage 0..100 (rounded down, so 100 means really done), or
 * null when either number is missing or total is not positive.
 * @param {number|null|undefined} current
 * @param {number|null|undefined} total
 * @returns {number|null}
 */
export function percent(current, total) {
  if (typeof current !== "number" || typeof total !== "number") return null;
  if (!Number.isFinite(current) || !Number.isFinite(total) || total <= 0) return null;
  const p = Math.floor((current / total) * 100);
  return Math.min(100, Math.max(0, p));
}

/**
 * "850 ms", "4.2 s", "2 min 05 s", "1 h 02 min". "" for null/NaN/negative.
 * @param {number|null|undefined} ms
 */
export function formatDuration(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = Math.floor(ms / 100) / 10; // truncate: 59.99 s is not "60.0 s"
    return `${s.toFixed(1)} s`;
  }
  const totalSecs = Math.floor(ms / 1000);
  if (totalSecs < 3600) {
    const m = Math.floor(totalSecs / 60);
    const s = totalSecs % 60;
    return `${m} min ${String(s).padStart(2, "0")} s`;
  }
  const h = Math.floor(totalSecs / 3600);
  const m = Math.floor((totalSecs % 3600) / 60);
  return `${h} h ${String(m).padStart(2, "0")} min`;
}

// ---------------------------------------------------------------------------
// Settings

function toBool(value) {
  return value === true || value === "true" || value === "on" || value === 1;
}

/**
 * Memory as the status words say it: powers of 1024, "4 GB", "512 MB", "1.5 GB".
 * @param {number} n bytes
 */
export function memoryText(n) {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "?";
  const [value, unit] =
    n >= 2 ** 30 ? [n / 2 ** 30, "GB"] : n >= 2 ** 20 ? [n / 2 ** 20, "MB"] : [n / 2 ** 10, "KB"];
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${unit}`;
}

/**
 * One line of the limits in force beside the live use (the `usage` command's answer), or ""
 * when there is nothing to show.
 * @param {object|null} usage
 * @returns {string}
 */
export function usageText(usage) {
  if (!usage || typeof usage !== "object") return "";
  const of = (used, limit, unlimited) => (limit ? `${used} of ${limit}` : `${used} (${unlimited})`);
  const parts = [
    `Memory ${of(memoryText(usage.memory_bytes), usage.memory_limit && memoryText(usage.memory_limit), "no limit")}`,
    `processes ${of(usage.pids ?? "?", usage.pids_limit, "no limit")}`,
    usage.cpus ? `CPUs ${usage.cpus}` : "CPUs: no limit",
  ];
  if (usage.runtime && usage.runtime !== "runc") parts.push(`runtime ${usage.runtime}`);
  return parts.join(" · ");
}

/**
 * The Settings object the form describes: `base` (from `get_settings`) with the
 * form's fields over it. Only types are converted (a port of digits becomes a
 * number); whether the values are valid is the app's to say (`check_settings`).
 * @param {object} form
 * @param {object} [base]
 * @returns {object}
 */
export function settingsFromForm(form, base = {}) {
  const f = form ?? {};
  const portText = String(f.port ?? "").trim();
  return {
    ...base,
    port: /^[0-9]{1,9}$/.test(portText) ? Number(portText) : portText,
    bind_address: String(f.bind_address ?? "").trim(),
    image: String(f.image ?? "").trim(),
    image_mode: String(f.image_mode ?? "").trim(),
    stop_on_quit: toBool(f.stop_on_quit),
    start_at_login: toBool(f.start_at_login),
    memory: optionalText(f.memory),
    cpus: optionalNumber(f.cpus, /^[0-9]*\.?[0-9]+$/),
    pids: optionalNumber(f.pids, /^[0-9]{1,9}$/) ?? "",
  };
}

/** Empty is null (the setting's default); anything else as typed. */
function optionalText(value) {
  const text = String(value ?? "").trim();
  return text === "" ? null : text;
}

/** Empty is null; a number when it looks like one, else the text for the app to refuse. */
function optionalNumber(value, looksLike) {
  const text = optionalText(value);
  if (text === null) return null;
  return looksLike.test(text) ? Number(text) : text;
}

/**
 * The form field values for a Settings object (the inverse of validateSettings).
 * @param {object} settings
 */
export function formFromSettings(settings) {
  const s = settings ?? {};
  return {
    port: s.port === undefined || s.port === null ? "" : String(s.port),
    bind_address: s.bind_address ?? "",
    image: s.image ?? "",
    image_mode: s.image_mode === "pull" ? "pull" : "build",
    stop_on_quit: s.stop_on_quit === true,
    start_at_login: s.start_at_login === true,
    memory: s.memory ?? "",
    cpus: s.cpus === undefined || s.cpus === null ? "" : String(s.cpus),
    pids: s.pids === undefined || s.pids === null ? "" : String(s.pids),
  };
}

/**
 * The message to show for a rejected command: the Error's `message`, or a
 * readable fallback for strings and unexpected shapes.
 * @param {any} error
 * @returns {string}
 */
export function errorMessage(error) {
  if (error === null || error === undefined) return "Something went wrong.";
  if (typeof error === "string") return error || "Something went wrong.";
  if (typeof error === "object") {
    if (typeof error.message === "string" && error.message !== "") return error.message;
    if (typeof error.kind === "string") return `Failed (${error.kind}).`;
  }
  return String(error);
}

/**
 * The text of the "Remove container" confirmation, naming what is deleted
 * and the volumes that are kept.
 * @param {object|null} settings
 * @returns {string}
 */
export function removeConfirmText(settings) {
  const instance =
    settings && typeof settings.instance === "string" && settings.instance !== ""
      ? settings.instance
      : "opencode-cloud";
  return (
    `The container "${instance}" is deleted. Its volumes ${instance}-session, ` +
    `${instance}-projects and ${instance}-config are kept, so your session, projects ` +
    `and configuration are still there when you start again.`
  );
}

/**
 * An error message split for the banner: its first line (one sentence), and
 * the rest (a build's output, the sources tried…) for "Details".
 * @param {string} message
 * @returns {{headline: string, details: string}}
 */
export function splitMessage(message) {
  const text = String(message ?? "");
  const cut = text.indexOf("\n");
  if (cut === -1) return { headline: text, details: "" };
  return { headline: text.slice(0, cut), details: text.slice(cut + 1).trim() };
}
