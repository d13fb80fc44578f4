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
    log: [], // build log lines, at most MAX_LOG_LINES, newest last
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

    case "buildLog":
      return { ...base, log: appendCapped(base.log, String(d.line ?? ""), MAX_LOG_LINES) };

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
  if (view.phase === "failed") {
    const why = view.error?.message ? `: ${view.error.message}` : "";
    return `${label} failed${took}${why}`;
  }
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

/**
 * True for a dotted-quad IPv4 literal as Rust's `Ipv4Addr` parses it
 * (four decimal octets 0..255, no leading zeros).
 * @param {string} text
 */
export function isIPv4(text) {
  if (typeof text !== "string") return false;
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * True for an IPv6 literal as Rust's `Ipv6Addr` parses it: up to eight
 * groups of 1-4 hex digits, one optional "::", optional trailing IPv4.
 * No brackets, no zone ("%eth0").
 * @param {string} text
 */
export function isIPv6(text) {
  if (typeof text !== "string" || text.length === 0 || text.length > 45) return false;
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (part) => (part === "" ? [] : part.split(":"));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const all = head.concat(tail);
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    const last = i === all.length - 1;
    if (last && g.includes(".")) {
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  // A trailing IPv4 must end the address: not allowed in `head` when "::" follows.
  if (halves.length === 2 && head.some((g) => g.includes("."))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z).
 * @param {string} address
 */
export function isLoopback(address) {
  if (typeof address !== "string") return false;
  const a = address.trim().toLowerCase();
  if (isIPv4(a)) return a.startsWith("127.");
  if (!isIPv6(a)) return false;
  if (expandIPv6(a) === "0000:0000:0000:0000:0000:0000:0000:0001") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && mapped[1].startsWith("127.");
}

function expandIPv6(a) {
  if (a.includes(".")) return a; // only used for ::1 detection
  const [h, t] = a.includes("::") ? a.split("::") : [a, null];
  const head = h ? h.split(":") : [];
  const tail = t ? t.split(":") : [];
  const zeros = t === null ? [] : Array(8 - head.length - tail.length).fill("0");
  return head.concat(zeros, tail).map((g) => g.padStart(4, "0")).join(":");
}

function isUnspecified(address) {
  const a = address.trim().toLowerCase();
  return a === "0.0.0.0" || (isIPv6(a) && /^[0:]+$/.test(a));
}

// distribution/reference grammar (the one Docker uses):
//   domain    := host [":" port]         host: dotted names, IPv4, [IPv6]
//   path      := component ("/" component)*   component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
//   tag       := [\w][\w.-]{0,127}
//   digest    := algorithm ":" hex
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_LENGTHS = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Checks a Docker image reference; returns null when valid, else the reason.
 * Accepts "opencode-cloud:local", "ubuntu", "ghcr.io/org/app:1.2",
 * "localhost:5000/app", "repo@sha256:<64 hex>", "repo:tag@sha256:<64 hex>".
 * @param {string} ref
 * @returns {string|null}
 */
export function imageReferenceError(ref) {
  if (typeof ref !== "string" || ref.trim() === "") return "Enter an image name, e.g. opencode-cloud:local.";
  if (/\s/.test(ref)) return "An image name cannot contain spaces.";
  let rest = ref;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
    if (!m || DIGEST_LENGTHS[m[1]] === undefined || DIGEST_LENGTHS[m[1]] !== m[2].length) {
      return "The digest after @ must look like sha256: followed by 64 lower-case hex digits.";
    }
  }
  // A tag is after the last ":" that comes after the last "/".
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  let name = rest;
  if (colon !== -1) {
    const tag = rest.slice(colon + 1);
    name = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      return "The tag after : may use letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-').";
    }
  }
  if (name === "") return "Enter an image name before the tag or digest.";
  if (name.length > 255) return "An image name is at most 255 characters long.";
  const parts = name.split("/");
  // The first part is a registry host when it has a "." or ":" or is "localhost".
  // (Docker also takes an upper-case first part for a host; here "Org/app" is
  // reported as an upper-case repository, which is what the user meant.)
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) {
    const domain = parts.shift();
    if (!DOMAIN_RE.test(domain)) return `"${domain}" is not a valid registry host[:port].`;
  }
  for (const part of parts) {
    if (part === "") return "An image name cannot have empty parts (\"//\" or a leading/trailing \"/\").";
    if (/[A-Z]/.test(part)) return "The repository name must be lower case.";
    if (!PATH_COMPONENT_RE.test(part)) {
      return `"${part}" is not a valid repository name part: use lower-case letters, digits and single '.', '_' or '-' separators.`;
    }
  }
  return null;
}

function toBool(value) {
  return value === true || value === "true" || value === "on" || value === 1;
}

/**
 * Validates the settings form for instant feedback (Rust validates again).
 *
 * `form` holds the form fields: { port (string or number), bind_address,
 * image, image_mode, stop_on_quit, start_at_login }. `base` is the Settings
 * object from `get_settings`: every key of it that the form does not edit
 * (instance, image_sources, env, build_context, …) is kept as it was.
 *
 * @param {object} form
 * @param {object} [base]
 * @returns {{ok:true, settings:object} | {ok:false, errors:Object<string,string>}}
 */
export function validateSettings(form, base = {}) {
  const f = form ?? {};
  const errors = {};

  const portText = typeof f.port === "number" ? String(f.port) : String(f.port ?? "").trim();
  let port = null;
  if (!/^[0-9]+$/.test(portText)) {
    errors.port = "Enter a port number between 1 and 65535.";
  } else {
    port = Number(portText);
    if (port < 1 || port > 65535) errors.port = "The port must be between 1 and 65535.";
  }

  const bind = String(f.bind_address ?? "").trim();
  if (bind === "") {
    errors.bind_address = "Enter an IP address, e.g. 127.0.0.1.";
  } else if (/^\[.*\]$/.test(bind)) {
    errors.bind_address = "Write the IPv6 address without brackets, e.g. ::1.";
  } else if (!isIPv4(bind) && !isIPv6(bind)) {
    errors.bind_address = "Enter an IPv4 or IPv6 address, e.g. 127.0.0.1 or ::1 (not a host name).";
  }

  const image = String(f.image ?? "").trim();
  const imageError = imageReferenceError(image);
  if (imageError) errors.image = imageError;

  const mode = String(f.image_mode ?? "").trim();
  if (mode !== "pull" && mode !== "build") errors.image_mode = 'Choose "pull" or "build".';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      ...base,
      port,
      bind_address: bind,
      image,
      image_mode: mode,
      stop_on_quit: toBool(f.stop_on_quit),
      start_at_login: toBool(f.start_at_login),
    },
  };
}

/**
 * Warnings about valid but risky settings, to show next to the form.
 * @param {object} settings
 * @returns {{key:string, message:string}[]}
 */
export function warnings(settings) {
  const out = [];
  if (!settings || typeof settings !== "object") return out;
  const bind = typeof settings.bind_address === "string" ? settings.bind_address.trim() : "";
  if (bind !== "" && (isIPv4(bind) || isIPv6(bind)) && !isLoopback(bind)) {
    const where = isUnspecified(bind)
      ? `${bind} listens on every network interface`
      : `${bind} is not a loopback address`;
    const env = Array.isArray(settings.env) ? settings.env : [];
    const hasPassword = env.some(
      (e) => typeof e === "string" && /^OPENCODE_SERVER_PASSWORD=.+/.test(e),
    );
    out.push({
      key: "bind_address",
      message: hasPassword
        ? `${where}: the opencode session is reachable from the network, protected by OPENCODE_SERVER_PASSWORD.`
        : `${where}: the opencode session is reachable from the network. A password is required: add OPENCODE_SERVER_PASSWORD=… to "env" in settings.json.`,
    });
  }
  if (typeof settings.port === "number" && settings.port > 0 && settings.port < 1024) {
    out.push({
      key: "port",
      message: `Port ${settings.port} is a privileged port: some systems refuse to publish it.`,
    });
  }
  return out;
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
    image_mode: s.image_mode === "build" ? "build" : "pull",
    stop_on_quit: s.stop_on_quit === true,
    start_at_login: s.start_at_login === true,
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
