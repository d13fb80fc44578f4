// Static checks of index.html / app.js / style.css: required ids exist, every
// id app.js looks up exists, and nothing breaks the strict CSP
// (default-src 'self'; script-src 'self'; style-src 'self').
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const read = (name) => readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), "utf8");
const html = read("index.html");
const app = read("app.js");
const css = read("style.css");

const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));

const REQUIRED = [
  "state", "start", "stop", "restart", "open-browser", "error", "progress", "layers",
  "overall", "build-step", "build-log", "stage", "settings-form", "port", "bind-address", "image",
  "image-mode", "stop-on-quit", "start-at-login", "save-settings", "settings-error", "logs",
  "follow-logs", "update", "remove", "copy-password", "new-password", "password-off",
];

test("index.html has every id the WebDriver tests use", () => {
  for (const id of REQUIRED) assert.ok(ids.has(id), `missing #${id}`);
});

test("ids are unique", () => {
  const all = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(all.length, new Set(all).size);
});

test("every id app.js looks up exists in index.html", () => {
  const used = new Set([...app.matchAll(/\$\("([^"]+)"\)/g)].map((m) => m[1]));
  for (const [, id] of app.matchAll(/:\s*"([a-z-]+)",?\s*$/gm)) used.add(id); // FIELDS map values
  for (const id of used) assert.ok(ids.has(id), `app.js uses #${id}, not in index.html`);
  for (const id of ["port", "bind-address", "image", "image-mode"]) {
    assert.ok(ids.has(`${id}-error`), `missing #${id}-error`);
  }
});

test("index.html is CSP-clean: external module script, no inline script/style/handlers", () => {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], /type="module"/);
  assert.match(scripts[0][1], /src="app\.js"/);
  assert.equal(scripts[0][2].trim(), "", "inline script content");
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle="/);
  assert.doesNotMatch(html, /\son[a-z]+="/);
  assert.doesNotMatch(html, /javascript:/);
  assert.doesNotMatch(html, /https?:\/\//, "no external resources");
  assert.match(html, /<link rel="stylesheet" href="style\.css"/);
});

test("app.js imports render.js and uses the global Tauri API only", () => {
  assert.match(app, /from "\.\/render\.js"/);
  assert.match(app, /window\.__TAURI__/);
  assert.doesNotMatch(app, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  assert.doesNotMatch(app, /\beval\(|new Function\(/);
  assert.doesNotMatch(app, /setAttribute\("style"|\.style\./);
  assert.doesNotMatch(app, /https?:\/\//);
});

test("commands app.js invokes are in the contract", () => {
  const contract = new Set([
    "snapshot", "start", "stop", "restart", "pull", "build", "update", "remove_container",
    "get_settings", "check_settings", "save_settings", "logs", "follow_logs", "unfollow_logs",
    "open_in_browser", "open_log_folder", "usage", "copy_password", "new_password",
  ]);
  const invoked = [
    ...[...app.matchAll(/invoke\("([a-z_]+)"/g)].map((m) => m[1]),
    ...[...app.matchAll(/(?:lifecycle|call)\("([a-z_]+)"/g)].map((m) => m[1]),
  ];
  assert.ok(invoked.length >= 10);
  for (const name of invoked) assert.ok(contract.has(name), `unknown command ${name}`);
  for (const name of ["snapshot", "start", "stop", "restart", "update", "remove_container",
    "get_settings", "check_settings", "save_settings", "logs", "follow_logs", "unfollow_logs",
    "open_in_browser"]) {
    assert.ok(invoked.includes(name), `never invokes ${name}`);
  }
  assert.match(app, /invoke\("save_settings", \{ settings \}\)/);
  assert.match(app, /call\("logs", \{ lines: 200 \}\)/);
});

test("style.css has light and dark schemes and no remote imports", () => {
  assert.match(css, /prefers-color-scheme: dark/);
  assert.doesNotMatch(css, /@import|url\(/);
});
