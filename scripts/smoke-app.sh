#!/usr/bin/env bash
# Smoke test of the desktop app, headless: builds the binary once, launches it in a sandbox (own
# HOME, XDG dirs and settings with instance "occ-smoke") inside a private session bus and X
# server, and checks that
#   - its window appears, and a screenshot goes to docs/screenshot.png;
#   - the tray menu (over D-Bus) shows the observed status;
#   - closing the window leaves the app running in the tray;
#   - a second launch hands over to the first (single instance), which shows a new window;
#   - SIGTERM quits it cleanly (exit code 0).
# Prints PASS/FAIL lines; exits non-zero on the first failure. Touches no container: the
# instance is never started.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inner" ]; then
    cargo build --bin opencode-cloud-desktop
    sandbox="$(mktemp -d)"
    trap 'rm -rf "$sandbox"' EXIT
    mkdir -p "$sandbox"/{home,config,data,cache,runtime,occ,tmp}
    chmod 700 "$sandbox/runtime"
    cat >"$sandbox/occ/settings.json" <<'EOF'
{ "instance": "occ-smoke", "port": 39517 }
EOF
    export SMOKE_SANDBOX="$sandbox"
    export HOME="$sandbox/home"
    export XDG_CONFIG_HOME="$sandbox/config" XDG_DATA_HOME="$sandbox/data"
    export XDG_CACHE_HOME="$sandbox/cache" XDG_RUNTIME_DIR="$sandbox/runtime" TMPDIR="$sandbox/tmp"
    export OPENCODE_CLOUD_CONFIG_DIR="$sandbox/occ"
    status=0
    dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" --inner || status=$?
    exit "$status"
fi

# ---- inside the private bus and X display -------------------------------------------------
app="$PWD/target/debug/opencode-cloud-desktop"
log="$SMOKE_SANDBOX/app.log"
shot="docs/screenshot.png"
failed=0

pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failed=1
    echo "---- app log (last 40 lines)"
    tail -n 40 "$log" || true
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    exit 1
}

# Polls `$@` every 0.2 s until it succeeds or `$deadline` seconds pass.
wait_for() {
    local deadline="$1"
    shift
    local end=$((SECONDS + deadline))
    until "$@"; do
        ((SECONDS < end)) || return 1
        sleep 0.2
    done
}

window_id() { xdotool search --name '^opencode-cloud$' 2>/dev/null | head -n 1; }
has_window() { [ -n "$(window_id)" ]; }
no_window() { [ -z "$(window_id)" ]; }
alive() { kill -0 "$pid" 2>/dev/null; }

# Asks the window to close the way a window manager does (see scripts/x-close-window.py).
close_window() { python3 scripts/x-close-window.py "$1"; }

# A stand-in StatusNotifierWatcher (what a desktop's tray host provides) and a dbusmenu reader,
# so the tray's menu can be checked over D-Bus. Needs Debian's python3-gi.
tray_py="$SMOKE_SANDBOX/tray.py"
cat >"$tray_py" <<'EOF'
import sys
from gi.repository import Gio, GLib

WATCHER = """<node><interface name="org.kde.StatusNotifierWatcher">
<method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
<method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
<property name="RegisteredStatusNotifierItems" type="as" access="read"/>
<property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
<property name="ProtocolVersion" type="i" access="read"/>
</interface></node>"""

def watch(registrations):
    items = []
    info = Gio.DBusNodeInfo.new_for_xml(WATCHER).interfaces[0]

    def call(conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            arg = params.unpack()[0]
            # The argument is an object path; the service is the caller (libayatana's way).
            service, obj = (sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
            items.append(service + obj)
            with open(registrations, "a") as f:
                f.write(f"{service} {obj}\n")
        invocation.return_value(None)

    def prop(conn, sender, path, iface, name):
        return {"RegisteredStatusNotifierItems": GLib.Variant("as", items),
                "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
                "ProtocolVersion": GLib.Variant("i", 0)}[name]

    def acquired(conn, name):
        conn.register_object("/StatusNotifierWatcher", info, call, prop, None)

    Gio.bus_own_name(Gio.BusType.SESSION, "org.kde.StatusNotifierWatcher",
                     Gio.BusNameOwnerFlags.NONE, acquired, None, None)
    GLib.MainLoop().run()

def menu(registrations, click=None):
    """Prints "label|enabled" per item, or clicks the item labelled `click`."""
    service, obj = open(registrations).read().split()[-2:]
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    def call(path, iface, method, args):
        return bus.call_sync(service, path, iface, method, args, None, 0, 2000, None).unpack()
    menu_path = call(obj, "org.freedesktop.DBus.Properties", "Get",
                     GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")))[0]
    _, (_, _, children) = call(menu_path, "com.canonical.dbusmenu", "GetLayout",
                               GLib.Variant("(iias)", (0, -1, [])))
    for item_id, props, _ in children:
        if props.get("type") == "separator":
            continue
        label, enabled = props.get("label", ""), props.get("enabled", True)
        if click is None:
            print(f"{label}|{str(enabled).lower()}")
        elif label == click:
            call(menu_path, "com.canonical.dbusmenu", "Event",
                 GLib.Variant("(isvu)", (item_id, "clicked", GLib.Variant("s", ""), 0)))
            return
    if click is not None:
        sys.exit(f"no menu item {click!r}")

if sys.argv[1] == "watch":
    watch(sys.argv[2])
else:
    menu(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
EOF
sys_python=/usr/bin/python3
registrations="$SMOKE_SANDBOX/registrations"
tray_checks=0
if "$sys_python" -c 'import gi' 2>/dev/null; then
    tray_checks=1
    "$sys_python" "$tray_py" watch "$registrations" &
    watcher_pid=$!
    trap 'kill "$watcher_pid" 2>/dev/null || true' EXIT
    gdbus_has_watcher() {
        gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
            --method org.freedesktop.DBus.NameHasOwner org.kde.StatusNotifierWatcher | grep -q true
    }
    wait_for 10 gdbus_has_watcher || { echo "FAIL: the stand-in tray watcher did not start"; exit 1; }
else
    echo "FAIL: tray menu checks need python3-gi (scripts/setup.sh installs it)"
    exit 1
fi

tray_menu() { [ -s "$registrations" ] && "$sys_python" "$tray_py" menu "$registrations"; }
tray_click() { "$sys_python" "$tray_py" click "$registrations" "$1"; }

# A status line other than "Connecting…" means the watcher reported through the hub.
tray_has_status() {
    menu="$(tray_menu 2>/dev/null)" &&
        grep -q -e '^Not created yet|false$' -e '^Docker is not reachable|false$' <<<"$menu"
}

# The screenshot is taken once the page has painted (many colours) and stopped changing.
settled_screenshot() {
    local a="$SMOKE_SANDBOX/a.png" b="$SMOKE_SANDBOX/b.png"
    import -window root "$a" && sleep 0.5 && import -window root "$b" || return 1
    [ "$(convert "$b" -format '%k' info:)" -gt 64 ] && cmp -s "$a" "$b" && cp "$b" "$shot"
}

"$app" >"$log" 2>&1 &
pid=$!

wait_for 60 has_window || fail "the window did not appear within 60 s"
pass "the window appeared (X window $(window_id))"

wait_for 30 settled_screenshot || fail "the window did not finish painting within 30 s"
pass "screenshot saved to $shot"

if ((tray_checks)); then
    menu=""
    wait_for 20 tray_has_status ||
        fail "the tray menu did not show a status within 20 s: ${menu:-no tray registered}"
    pass "tray menu shows the observed status: $(head -n 1 <<<"$menu")"
    # Without a Docker engine the actions are disabled; with one, Start and Update are offered.
    can_act=true
    grep -q '^Docker is not reachable' <<<"$menu" && can_act=false
    expected="$(printf '%s\n' "Start|$can_act" "Restart|false" "Open in browser|false" \
        "Show window|true" "Update image|$can_act" "Quit (container keeps running)|true")"
    # The engine's information line ("Engine: …", disabled) is checked on its own.
    grep -q '^Engine: .*|false$' <<<"$menu" || fail "the tray menu does not name the engine"
    [ "$(tail -n +2 <<<"$menu" | grep -v '^Engine: ')" = "$expected" ] ||
        fail "tray menu items differ; got: $(tr '\n' ';' <<<"$menu")"
    pass "tray menu: $(tr '\n' ';' <<<"$menu")"
fi

close_window "$(window_id)"
wait_for 10 no_window || fail "the window did not close within 10 s"
sleep 1 # a crash on close would take a moment to show
alive || fail "the app exited when its window closed"
pass "closing the window leaves the app running in the tray"

if ((tray_checks)); then
    tray_click "Show window" || fail "could not click the tray's Show window"
    wait_for 20 has_window || fail "the tray's Show window did not bring a window back"
    pass "the tray's Show window builds a new window"
    close_window "$(window_id)"
    wait_for 10 no_window || fail "the window did not close within 10 s"
fi

second_status=0
timeout 20 "$app" >>"$log" 2>&1 || second_status=$?
[ "$second_status" = 0 ] || fail "a second launch exited with $second_status instead of handing over"
wait_for 20 has_window || fail "a second launch did not bring the window back"
alive || fail "the first instance is gone after a second launch"
pass "a second launch exits and the running app shows a new window"

kill -TERM "$pid"
end=$((SECONDS + 20))
while alive && ((SECONDS < end)); do sleep 0.2; done
alive && fail "the app did not exit within 20 s of SIGTERM"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "the app exited with $status after SIGTERM, not 0"
pass "SIGTERM quits the app with exit code 0"

if grep -qi 'panicked' "$log"; then
    fail "the app log shows a panic"
fi
[ "$failed" = 0 ] && echo "PASS: smoke test"
