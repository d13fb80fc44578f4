// node --test ui/tests/
import test from "node:test";
import assert from "node:assert/strict";

import {
  MAX_CONTAINER_LOG_LINES,
  MAX_LOG_LINES,
  appendCapped,
  applyOperation,
  applyProgress,
  buildStepLabel,
  errorMessage,
  formFromSettings,
  formatBytes,
  formatDuration,
  healthLabel,
  initialOperationView,
  layerRows,
  operationLabel,
  operationSummary,
  overallLabel,
  overlapLength,
  percent,
  removeConfirmText,
  replayProgress,
  settingsFromForm,
  memoryText,
  usageText,
  splitMessage,
} from "../render.js";

// ---------------------------------------------------------------------------
// helpers

function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Folds events through applyProgress freezing every intermediate view, so
 * any mutation of an input throws (ES modules are strict). */
function foldFrozen(view, events) {
  return events.reduce((v, e) => applyProgress(deepFreeze(v), deepFreeze(e)), view);
}

const P = (event, data) => ({ event, data });


const SETTINGS = {
  instance: "opencode-cloud",
  port: 3000,
  bind_address: "127.0.0.1",
  image: "opencode-cloud:local",
  image_sources: [
    "ghcr.io/opencode-cloud/opencode-cloud:latest",
    "docker.io/opencodecloud/opencode-cloud:latest",
  ],
  image_mode: "pull",
  build_context: null,
  env: ["KEY=value"],
  stop_on_quit: false,
  start_at_login: false,
  memory: null,
  cpus: null,
  pids: 4096,
};



// ---------------------------------------------------------------------------
// formatting

test("formatBytes", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.0 kB");
  assert.equal(formatBytes(1536), "1.5 kB");
  assert.equal(formatBytes(12_345_678), "12.3 MB");
  assert.equal(formatBytes(999_960), "1.0 MB");
  assert.equal(formatBytes(1_200_000_000), "1.2 GB");
  assert.equal(formatBytes(3.5e12), "3.5 TB");
  assert.equal(formatBytes(-2048), "-2.0 kB");
  assert.equal(formatBytes(null), "");
  assert.equal(formatBytes(undefined), "");
  assert.equal(formatBytes(NaN), "");
  assert.equal(formatBytes("12"), "");
});

test("percent is null-safe, clamped and rounded down", () => {
  assert.equal(percent(0, 100), 0);
  assert.equal(percent(50, 200), 25);
  assert.equal(percent(999, 1000), 99);
  assert.equal(percent(1000, 1000), 100);
  assert.equal(percent(1500, 1000), 100);
  assert.equal(percent(-5, 1000), 0);
  assert.equal(percent(null, 100), null);
  assert.equal(percent(5, null), null);
  assert.equal(percent(undefined, undefined), null);
  assert.equal(percent(5, 0), null);
  assert.equal(percent(5, -1), null);
  assert.equal(percent(NaN, 10), null);
  assert.equal(percent(1, Infinity), null);
});

test("formatDuration", () => {
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(1000), "1.0 s");
  assert.equal(formatDuration(4210), "4.2 s");
  assert.equal(formatDuration(59_999), "59.9 s");
  assert.equal(formatDuration(60_000), "1 min 00 s");
  assert.equal(formatDuration(125_400), "2 min 05 s");
  assert.equal(formatDuration(3_600_000), "1 h 00 min");
  assert.equal(formatDuration(3_725_000), "1 h 02 min");
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(-1), "");
  assert.equal(formatDuration(NaN), "");
});

test("operationLabel and operationSummary", () => {
  assert.equal(operationLabel("start"), "Starting");
  assert.equal(operationLabel("pull"), "Pulling image");
  assert.equal(operationLabel("build"), "Building image");
  assert.equal(operationLabel("update"), "Updating image");
  assert.equal(operationLabel("remove_container"), "Removing container");
  assert.equal(operationLabel("some_thing"), "Some thing");
  assert.equal(operationLabel(null), "Working");

  const running = initialOperationView("pull");
  assert.equal(operationSummary(running), "Pulling image…");
  const done = applyOperation(running, { operation: "pull", phase: "finished", duration_ms: 4210 });
  assert.equal(operationSummary(done), "Pulling image finished in 4.2 s");
  const failed = applyOperation(running, {
    operation: "pull",
    phase: "failed",
    duration_ms: 900,
    error: { kind: "pull", message: "No image source could be pulled." },
  });
  // The error's words are in the error banner only: said once.
  assert.equal(operationSummary(failed), "Pulling image failed in 900 ms");
  assert.equal(operationSummary(null), "");
});

test("the builder's bookkeeping goes to the full log only", () => {
  let v = initialOperationView("build");
  v = applyProgress(v, P("buildLog", { line: " ---> Running in 8641d083937b", bookkeeping: true }));
  v = applyProgress(v, P("buildLog", { line: "make: ok", bookkeeping: false }));
  assert.deepEqual(v.log, ["make: ok"]);
  assert.deepEqual(v.fullLog, [" ---> Running in 8641d083937b", "make: ok"]);
});

test("splitMessage: one sentence for the banner, the rest for Details", () => {
  assert.deepEqual(splitMessage("Port 3000 is in use."), { headline: "Port 3000 is in use.", details: "" });
  assert.deepEqual(splitMessage("Build failed at step 2/4.\n  make: Error 2\n"), {
    headline: "Build failed at step 2/4.",
    details: "make: Error 2",
  });
});

test("errorMessage prefers the Error's message", () => {
  assert.equal(errorMessage({ kind: "port_in_use", message: "Port 3000 is in use: choose another." }),
    "Port 3000 is in use: choose another.");
  assert.equal(errorMessage({ kind: "busy" }), "Failed (busy).");
  assert.equal(errorMessage("plain string"), "plain string");
  assert.equal(errorMessage(null), "Something went wrong.");
  assert.equal(errorMessage(""), "Something went wrong.");
  assert.equal(errorMessage(new Error("boom")), "boom");
});

// ---------------------------------------------------------------------------
// applyProgress: a realistic pull

const LAYER_A = "a1b2c3d4e5f6";
const LAYER_B = "0123456789ab";
const LAYER_C = "1234"; // integer-like id: order must still be first-seen

const PULL_EVENTS = [
  P("stage", { message: "Pulling image" }),
  P("pullStarted", { source: "ghcr.io/opencode-cloud/opencode-cloud:latest" }),
  P("pullLayer", { id: "ffff00000000", status: "Pulling fs layer", current: null, total: null,
    overall: { current: 0, total: null } }),
  P("pullSourceFailed", { source: "ghcr.io/opencode-cloud/opencode-cloud:latest",
    reason: "denied: requested access to the resource is denied" }),
  P("pullStarted", { source: "docker.io/opencodecloud/opencode-cloud:latest" }),
  P("pullLayer", { id: LAYER_A, status: "Pulling fs layer", current: null, total: null,
    overall: { current: 0, total: null } }),
  P("pullLayer", { id: LAYER_B, status: "Already exists", current: null, total: null,
    overall: { current: 0, total: null } }),
  P("pullLayer", { id: LAYER_C, status: "Waiting", current: null, total: null,
    overall: { current: 0, total: null } }),
  P("pullLayer", { id: LAYER_A, status: "Downloading", current: 1_000_000, total: 4_000_000,
    overall: { current: 1_000_000, total: 4_000_000 } }),
  P("pullLayer", { id: LAYER_C, status: "Downloading", current: 500_000, total: 2_000_000,
    overall: { current: 1_500_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_A, status: "Downloading", current: 4_000_000, total: 4_000_000,
    overall: { current: 4_500_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_A, status: "Verifying Checksum", current: null, total: null,
    overall: { current: 4_500_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_A, status: "Download complete", current: null, total: null,
    overall: { current: 4_500_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_A, status: "Extracting", current: 2_000_000, total: 4_000_000,
    overall: { current: 4_500_000, total: 6_000_000 } }),
];

const PULL_TAIL = [
  P("pullLayer", { id: LAYER_C, status: "Downloading", current: 2_000_000, total: 2_000_000,
    overall: { current: 6_000_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_A, status: "Pull complete", current: null, total: null,
    overall: { current: 6_000_000, total: 6_000_000 } }),
  P("pullLayer", { id: LAYER_C, status: "Pull complete", current: null, total: null,
    overall: { current: 6_000_000, total: 6_000_000 } }),
  P("pullFinished", { source: "docker.io/opencodecloud/opencode-cloud:latest",
    image: "opencode-cloud:local" }),
];

test("initialOperationView is empty and running", () => {
  const v = initialOperationView("pull");
  assert.equal(v.name, "pull");
  assert.equal(v.phase, "running");
  assert.deepEqual(v.layers, {});
  assert.deepEqual(v.layerOrder, []);
  assert.equal(v.overall, null);
  assert.deepEqual(v.failedSources, []);
  assert.equal(v.build, null);
  assert.deepEqual(v.log, []);
  assert.equal(v.stage, null);
  assert.equal(v.health, null);
  // Every call gives a fresh object.
  assert.notEqual(initialOperationView("pull"), initialOperationView("pull"));
  assert.notEqual(initialOperationView("pull").log, initialOperationView("pull").log);
});

test("applyProgress replays a pull with a failed first source", () => {
  const v = foldFrozen(initialOperationView("pull"), PULL_EVENTS);

  assert.equal(v.stage, "Pulling image");
  assert.equal(v.source, "docker.io/opencodecloud/opencode-cloud:latest");
  assert.deepEqual(v.failedSources, [
    { source: "ghcr.io/opencode-cloud/opencode-cloud:latest",
      reason: "denied: requested access to the resource is denied" },
  ]);
  // The failed source's layer is gone; order is first-seen, even for "1234".
  assert.deepEqual(v.layerOrder, [LAYER_A, LAYER_B, LAYER_C]);
  assert.equal(v.layers.ffff00000000, undefined);
  assert.deepEqual(v.layers[LAYER_A], { status: "Extracting", current: 2_000_000, total: 4_000_000 });
  assert.deepEqual(v.layers[LAYER_B], { status: "Already exists", current: null, total: null });
  assert.deepEqual(v.layers[LAYER_C], { status: "Downloading", current: 500_000, total: 2_000_000 });
  assert.deepEqual(v.overall, { current: 4_500_000, total: 6_000_000 });
  assert.equal(v.pulled, null);

  const rows = layerRows(v);
  assert.deepEqual(rows.map((r) => r.id), [LAYER_A, LAYER_B, LAYER_C]);
  assert.equal(rows[0].percent, 50);
  assert.equal(rows[0].done, false);
  assert.equal(rows[0].text, "Extracting 2.0 MB / 4.0 MB");
  assert.equal(rows[1].percent, 100);
  assert.equal(rows[1].done, true);
  assert.equal(rows[1].text, "Already exists");
  assert.equal(rows[2].percent, 25);
  assert.equal(rows[2].text, "Downloading 500.0 kB / 2.0 MB");
  assert.equal(overallLabel(v.overall), "4.5 MB of 6.0 MB (75%)");

  const end = foldFrozen(v, PULL_TAIL);
  assert.deepEqual(end.pulled, {
    source: "docker.io/opencodecloud/opencode-cloud:latest",
    image: "opencode-cloud:local",
  });
  assert.ok(layerRows(end).every((r) => r.done && r.percent === 100));
  assert.equal(overallLabel(end.overall), "6.0 MB of 6.0 MB (100%)");
  assert.equal(end.failedSources.length, 1);
});

test("applyProgress keeps the last known size on status-only layer lines", () => {
  const v = foldFrozen(initialOperationView("pull"), PULL_EVENTS.slice(0, 12));
  // After "Verifying Checksum" (null/null) the bar stays at 4 MB / 4 MB.
  assert.deepEqual(v.layers[LAYER_A], { status: "Verifying Checksum", current: 4_000_000, total: 4_000_000 });
  assert.equal(layerRows(v)[0].percent, 100);
  assert.equal(layerRows(v)[0].done, false);
});

test("a layer with unknown size has a null percent (indeterminate bar)", () => {
  const v = applyProgress(initialOperationView("pull"),
    P("pullLayer", { id: "x", status: "Waiting", current: null, total: null }));
  assert.equal(layerRows(v)[0].percent, null);
  assert.equal(layerRows(v)[0].text, "Waiting");
  assert.equal(v.overall, null); // no overall in that event
  assert.equal(overallLabel(null), "");
  assert.equal(overallLabel({ current: null, total: null }), "");
  assert.equal(overallLabel({ current: 2_000_000, total: null }), "2.0 MB downloaded");
});

test("applyProgress does not mutate its input", () => {
  const before = initialOperationView("pull");
  const snapshot = JSON.stringify(before);
  const after = applyProgress(before, PULL_EVENTS[5]);
  assert.equal(JSON.stringify(before), snapshot);
  assert.notEqual(after, before);
  assert.notEqual(after.layers, before.layers);
  assert.notEqual(after.layerOrder, before.layerOrder);
  // frozen inputs everywhere: would throw on mutation
  foldFrozen(initialOperationView("pull"), [...PULL_EVENTS, ...PULL_TAIL]);
  foldFrozen(initialOperationView("build"), buildEvents(20));
});

test("applyProgress accepts the progress event payload and ignores junk", () => {
  const v0 = initialOperationView("start");
  const v1 = applyProgress(v0, { operation: "start", progress: P("stage", { message: "Creating volumes" }) });
  assert.equal(v1.stage, "Creating volumes");
  assert.equal(applyProgress(v1, null), v1);
  assert.equal(applyProgress(v1, { event: "somethingNew", data: {} }), v1);
  assert.equal(applyProgress(v1, { nope: 1 }), v1);
  // A null view starts a fresh one.
  assert.equal(applyProgress(null, P("stage", { message: "x" })).stage, "x");
});

// ---------------------------------------------------------------------------
// applyProgress: a build

function buildEvents(logLines) {
  const events = [P("stage", { message: "Building image" })];
  const steps = [
    "FROM ubuntu:24.04",
    "RUN apt-get update && apt-get install -y curl git",
    "COPY entrypoint.sh /usr/local/bin/",
    "RUN curl -fsSL https://opencode.ai/install | bash",
  ];
  steps.forEach((instruction, i) => {
    events.push(P("buildStep", { step: i + 1, total: steps.length, instruction }));
    if (i < 2) events.push(P("buildCached", { step: i + 1 }));
  });
  for (let i = 1; i <= logLines; i++) events.push(P("buildLog", { line: `log line ${i}` }));
  return events;
}

test("applyProgress replays a build: steps, cached steps, logs", () => {
  const v = foldFrozen(initialOperationView("build"), buildEvents(10));
  assert.deepEqual(v.build, {
    step: 4,
    total: 4,
    instruction: "RUN curl -fsSL https://opencode.ai/install | bash",
    cachedSteps: [1, 2],
  });
  assert.equal(buildStepLabel(v.build), "Step 4 of 4: RUN curl -fsSL https://opencode.ai/install | bash");
  assert.equal(v.log.length, 10);
  assert.equal(v.log[0], "log line 1");
  assert.equal(v.log[9], "log line 10");
  assert.equal(v.stage, "Building image");

  const cachedView = foldFrozen(initialOperationView("build"), buildEvents(0).slice(0, 3));
  assert.equal(buildStepLabel(cachedView.build), "Step 1 of 4: FROM ubuntu:24.04 (cached)");

  const done = applyProgress(v, P("buildFinished", { image: "opencode-cloud:local", duration_ms: 83_000 }));
  assert.deepEqual(done.built, { image: "opencode-cloud:local", duration_ms: 83_000 });
});

test("build log is capped at 500 lines keeping the newest", () => {
  assert.equal(MAX_LOG_LINES, 500);
  const v = replayProgress(initialOperationView("build"), buildEvents(1234));
  assert.equal(v.log.length, 500);
  assert.equal(v.log[0], "log line 735");
  assert.equal(v.log[499], "log line 1234");
});

test("buildCached is idempotent and works before any buildStep", () => {
  let v = applyProgress(initialOperationView("build"), P("buildCached", { step: 2 }));
  assert.deepEqual(v.build.cachedSteps, [2]);
  const again = applyProgress(v, P("buildCached", { step: 2 }));
  assert.equal(again, v);
  v = applyProgress(v, P("buildStep", { step: 3, total: 5, instruction: "RUN true" }));
  assert.deepEqual(v.build.cachedSteps, [2]);
  assert.equal(buildStepLabel(v.build), "Step 3 of 5: RUN true");
  assert.equal(buildStepLabel(null), "");
  assert.equal(buildStepLabel({ step: 2, total: null, instruction: "", cachedSteps: [] }), "Step 2");
});

test("waitingForHealth and stage", () => {
  let v = initialOperationView("start");
  v = applyProgress(v, P("stage", { message: "Starting container" }));
  v = applyProgress(v, P("waitingForHealth", { url: "http://127.0.0.1:3000/", elapsed_secs: 12, timeout_secs: 120 }));
  assert.deepEqual(v.health, { url: "http://127.0.0.1:3000/", elapsed_secs: 12, timeout_secs: 120 });
  assert.equal(healthLabel(v.health), "Waiting for http://127.0.0.1:3000/ to answer (12 s of 120 s)");
  assert.equal(healthLabel({ url: null, elapsed_secs: 3, timeout_secs: null }), "Waiting for the health check (3 s)");
  assert.equal(healthLabel(null), "");
  // A new stage ends the wait.
  v = applyProgress(v, P("stage", { message: "Ready" }));
  assert.equal(v.health, null);
});

// ---------------------------------------------------------------------------
// applyOperation / overlapLength / replay

test("applyOperation opens and closes views", () => {
  const started = applyOperation(null, { operation: "start", phase: "started" });
  assert.equal(started.name, "start");
  assert.equal(started.phase, "running");
  const progressed = applyProgress(started, P("stage", { message: "Creating volumes" }));
  const finished = applyOperation(deepFreeze(progressed), { operation: "start", phase: "finished", duration_ms: 1234 });
  assert.equal(finished.phase, "finished");
  assert.equal(finished.duration_ms, 1234);
  assert.equal(finished.stage, "Creating volumes");
  assert.equal(finished.error, null);

  const error = { kind: "port_in_use", message: "Port 3000 is in use: stop the other program or choose another port." };
  const failed = applyOperation(progressed, { operation: "start", phase: "failed", duration_ms: 50, error });
  assert.equal(failed.phase, "failed");
  assert.deepEqual(failed.error, error);

  // "finished" for an operation the window never saw start: a fresh closed view.
  const other = applyOperation(progressed, { operation: "update", phase: "finished", duration_ms: 1 });
  assert.equal(other.name, "update");
  assert.equal(other.stage, null);
  // A new start replaces the old view.
  assert.equal(applyOperation(finished, { operation: "stop", phase: "started" }).name, "stop");
  assert.equal(applyOperation(finished, null), finished);
  assert.equal(applyOperation(finished, { operation: "x", phase: "weird" }), finished);
});

test("overlapLength finds live events already in the snapshot", () => {
  const e = (n) => P("buildLog", { line: `l${n}` });
  assert.equal(overlapLength([e(1), e(2), e(3)], [e(2), e(3), e(4)]), 2);
  assert.equal(overlapLength([e(1), e(2), e(3)], [e(4), e(5)]), 0);
  assert.equal(overlapLength([e(1), e(2)], [e(1), e(2)]), 2);
  assert.equal(overlapLength([], [e(1)]), 0);
  assert.equal(overlapLength([e(1)], []), 0);
  assert.equal(overlapLength(null, undefined), 0);
});

test("a window opened mid-operation shows the same view as one open all along", () => {
  const all = [...PULL_EVENTS, ...PULL_TAIL];
  const live = replayProgress(initialOperationView("update"), all);
  // snapshot taken after 10 events; 4 more were buffered, 2 of them already in the snapshot
  const snapshotEvents = all.slice(0, 10);
  const buffered = all.slice(8);
  const skip = overlapLength(snapshotEvents, buffered);
  assert.equal(skip, 2);
  const late = replayProgress(replayProgress(initialOperationView("update"), snapshotEvents), buffered.slice(skip));
  assert.deepEqual(late, live);
});

test("appendCapped", () => {
  const base = deepFreeze(["a", "b"]);
  assert.deepEqual(appendCapped(base, "c", 5), ["a", "b", "c"]);
  assert.deepEqual(appendCapped(base, ["c", "d", "e"], 3), ["c", "d", "e"]);
  assert.deepEqual(appendCapped(null, "x", 2), ["x"]);
  assert.deepEqual(base, ["a", "b"]);
  assert.equal(MAX_CONTAINER_LOG_LINES >= 200, true);
});

// ---------------------------------------------------------------------------
// settings form (validity is the app's to say: check_settings)

test("formFromSettings and settingsFromForm round-trip, keeping keys the form does not edit", () => {
  const form = formFromSettings(SETTINGS);
  assert.deepEqual(form, {
    port: "3000",
    bind_address: "127.0.0.1",
    image: "opencode-cloud:local",
    image_mode: "pull",
    stop_on_quit: false,
    start_at_login: false,
    memory: "",
    cpus: "",
    pids: "4096",
  });
  assert.deepEqual(settingsFromForm(form, SETTINGS), SETTINGS);
  const limited = { ...SETTINGS, memory: "4g", cpus: 2.5, pids: 64 };
  assert.deepEqual(settingsFromForm(formFromSettings(limited), SETTINGS), limited);
  assert.deepEqual(formFromSettings(null).port, "");
});

test("settingsFromForm converts types only and leaves judging to the app", () => {
  const s = settingsFromForm({ ...formFromSettings(SETTINGS), port: " 70000 ", image: " x " }, SETTINGS);
  assert.equal(s.port, 70000);
  assert.equal(s.image, "x");
  // Not a number: passed on as typed, so the app names the key in its answer.
  assert.equal(settingsFromForm({ port: "30a" }).port, "30a");
  assert.equal(settingsFromForm({ stop_on_quit: "on" }).stop_on_quit, true);
  // Limits: empty is the default (null), numbers become numbers, the rest is the app's to refuse.
  const limits = settingsFromForm({ memory: " 512m ", cpus: "1.5", pids: "128" });
  assert.deepEqual([limits.memory, limits.cpus, limits.pids], ["512m", 1.5, 128]);
  const blank = settingsFromForm({ memory: "", cpus: " ", pids: "64" });
  assert.deepEqual([blank.memory, blank.cpus], [null, null]);
  const odd = settingsFromForm({ cpus: "two", pids: "many" });
  assert.deepEqual([odd.cpus, odd.pids], ["two", "many"]);
});

test("removeConfirmText says the volumes are kept", () => {
  const text = removeConfirmText(SETTINGS);
  assert.match(text, /"opencode-cloud" is deleted/);
  assert.match(text, /opencode-cloud-session, opencode-cloud-projects and opencode-cloud-config are kept/);
  assert.match(removeConfirmText({ instance: "work" }), /work-session/);
  assert.match(removeConfirmText(null), /opencode-cloud-config/);
});

test("usageText puts the limits in force beside the live use", () => {
  assert.equal(memoryText(4 * 2 ** 30), "4 GB");
  assert.equal(memoryText(1.5 * 2 ** 30), "1.5 GB");
  assert.equal(memoryText(512 * 2 ** 20), "512 MB");
  assert.equal(
    usageText({ memory_bytes: 300 * 2 ** 20, memory_limit: 4 * 2 ** 30, cpus: 2.5, pids: 12, pids_limit: 4096, runtime: "runc" }),
    "Memory 300 MB of 4 GB · processes 12 of 4096 · CPUs 2.5",
  );
  assert.equal(
    usageText({ memory_bytes: 2 ** 30, memory_limit: null, cpus: null, pids: 3, pids_limit: 64, runtime: "runsc" }),
    "Memory 1 GB (no limit) · processes 3 of 64 · CPUs: no limit · runtime runsc",
  );
  assert.equal(usageText(null), "");
});
