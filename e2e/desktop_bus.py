"""The desktop's side of the private session bus, played by the tests.

- `Desktop` owns `org.kde.StatusNotifierWatcher` (what a panel's tray host provides) and
  `org.freedesktop.Notifications` (what a notification daemon provides), and records every call
  and every dbusmenu signal, with the time it arrived. It serves them from a GLib main loop on a
  thread of its own; tests wait on its condition variable, never on a fixed sleep.
- `TrayMenu` reads the app's menu with com.canonical.dbusmenu `GetLayout` and clicks items with
  `Event(id, "clicked", …)`, matching items by label (dbusmenu ids are not the app's ids).
"""

import threading
import time
from dataclasses import dataclass, field

from gi.repository import Gio, GLib

WATCHER_XML = """<node><interface name="org.kde.StatusNotifierWatcher">
<method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
<method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
<property name="RegisteredStatusNotifierItems" type="as" access="read"/>
<property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
<property name="ProtocolVersion" type="i" access="read"/>
<signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
<signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
<signal name="StatusNotifierHostRegistered"/>
</interface></node>"""

NOTIFICATIONS_XML = """<node><interface name="org.freedesktop.Notifications">
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="Notify">
  <arg name="app_name" type="s" direction="in"/><arg name="replaces_id" type="u" direction="in"/>
  <arg name="app_icon" type="s" direction="in"/><arg name="summary" type="s" direction="in"/>
  <arg name="body" type="s" direction="in"/><arg name="actions" type="as" direction="in"/>
  <arg name="hints" type="a{sv}" direction="in"/><arg name="expire_timeout" type="i" direction="in"/>
  <arg name="id" type="u" direction="out"/>
</method>
<method name="CloseNotification"><arg name="id" type="u" direction="in"/></method>
<method name="GetServerInformation">
  <arg name="name" type="s" direction="out"/><arg name="vendor" type="s" direction="out"/>
  <arg name="version" type="s" direction="out"/><arg name="spec_version" type="s" direction="out"/>
</method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>"""

DBUS = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")


@dataclass
class Registration:
    sender: str  # the app's unique bus name (the item's service)
    path: str  # the item's object path, as the app passed it
    at: float


@dataclass
class Notification:
    sender: str
    sender_pid: int
    app_name: str
    summary: str
    body: str
    hints: dict
    at: float
    id: int


@dataclass
class Signal:
    sender: str
    path: str
    member: str
    at: float


@dataclass
class Desktop:
    conn: Gio.DBusConnection
    cond: threading.Condition = field(default_factory=threading.Condition)
    registrations: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    menu_signals: list = field(default_factory=list)

    # ---- serving -------------------------------------------------------------------------------
    @classmethod
    def start(cls):
        conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        desktop = cls(conn)
        loop = GLib.MainLoop()
        # Callbacks are dispatched in the global default context, which this thread runs.
        threading.Thread(target=loop.run, name="desktop-bus", daemon=True).start()
        desktop._loop = loop
        desktop._serve("/StatusNotifierWatcher", WATCHER_XML, desktop._watcher_call,
                       desktop._watcher_property)
        desktop._serve("/org/freedesktop/Notifications", NOTIFICATIONS_XML,
                       desktop._notifications_call, None)
        for name in ("org.kde.StatusNotifierWatcher", "org.freedesktop.Notifications"):
            (reply,) = desktop.call_bus("RequestName", GLib.Variant("(su)", (name, 4)))
            assert reply == 1, f"could not own {name} on the test bus (reply {reply})"
        conn.signal_subscribe(None, "com.canonical.dbusmenu", None, None, None,
                              Gio.DBusSignalFlags.NONE, desktop._on_menu_signal, None)
        return desktop

    def stop(self):
        self._loop.quit()

    def _serve(self, path, xml, on_call, on_property):
        info = Gio.DBusNodeInfo.new_for_xml(xml).interfaces[0]
        self.conn.register_object(path, info, on_call, on_property, None)

    def _record(self, kind, item):
        with self.cond:
            getattr(self, kind).append(item)
            self.cond.notify_all()

    def _watcher_call(self, conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            arg = params.unpack()[0]
            # libayatana passes an object path; the service is then the caller itself.
            service, obj = (sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
            self._record("registrations", Registration(service, obj, time.monotonic()))
            conn.emit_signal(None, path, iface, "StatusNotifierItemRegistered",
                             GLib.Variant("(s)", (service + obj,)))
        invocation.return_value(None)

    def _watcher_property(self, conn, sender, path, iface, name):
        with self.cond:
            items = [r.sender + r.path for r in self.registrations]
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", items),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[name]

    def _notifications_call(self, conn, sender, path, iface, method, params, invocation):
        if method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(
                GLib.Variant("(ssss)", ("occ-e2e", "opencode-cloud tests", "1.0", "1.2")))
        elif method == "Notify":
            app_name, replaces, _icon, summary, body, _actions, hints, _timeout = params.unpack()
            with self.cond:
                nid = replaces or len(self.notifications) + 1
            self._record("notifications", Notification(
                sender, self.pid_of(sender), app_name, summary, body, hints, time.monotonic(),
                nid))
            invocation.return_value(GLib.Variant("(u)", (nid,)))
        elif method == "CloseNotification":
            (nid,) = params.unpack()
            conn.emit_signal(sender, path, iface, "NotificationClosed",
                             GLib.Variant("(uu)", (nid, 3)))
            invocation.return_value(None)

    def _on_menu_signal(self, conn, sender, path, iface, member, params, _data):
        self._record("menu_signals", Signal(sender, path, member, time.monotonic()))

    # ---- asking and waiting --------------------------------------------------------------------
    def call(self, dest, path, iface, method, args=None, reply=None, timeout_ms=5000):
        result = self.conn.call_sync(dest, path, iface, method, args, reply,
                                     Gio.DBusCallFlags.NONE, timeout_ms, None)
        return result.unpack() if result is not None else None

    def call_bus(self, method, args=None):
        return self.call(*DBUS, method, args)

    def has_owner(self, name):
        return self.call_bus("NameHasOwner", GLib.Variant("(s)", (name,)))[0]

    def pid_of(self, name):
        return self.call_bus("GetConnectionUnixProcessID", GLib.Variant("(s)", (name,)))[0]

    def wait(self, what, predicate, timeout):
        """Waits until `predicate()` (called under the lock) is truthy; returns its value.
        `what` names it in the failure, or is a function that does (called then)."""
        with self.cond:
            value = self.cond.wait_for(predicate, timeout)
        assert value, f"timed out after {timeout} s waiting for {what() if callable(what) else what}"
        return value

    def wait_registration(self, after, timeout=30):
        """The first tray item registered once `after` registrations had been seen."""
        return self.wait("the tray item to register with the StatusNotifierWatcher",
                         lambda: self.registrations[after] if len(self.registrations) > after
                         else None, timeout)

    def notifications_since(self, mark):
        with self.cond:
            return list(self.notifications[mark:])

    def wait_notification(self, mark, summary, timeout=30):
        """The first notification titled `summary` among those recorded after `mark`."""
        def found():
            return next((n for n in self.notifications[mark:] if n.summary == summary), None)
        def what():
            got = [(n.summary, n.body) for n in self.notifications_since(mark)]
            return f"a notification {summary!r} (got {got})"
        return self.wait(what, found, timeout)


class TrayMenu:
    """The app's tray menu, as a tray host reads it over D-Bus."""

    def __init__(self, desktop: Desktop, registration: Registration):
        self.desktop = desktop
        self.service = registration.sender
        (menu,) = desktop.call(self.service, registration.path, "org.freedesktop.DBus.Properties",
                               "Get", GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")))
        self.menu_path = menu

    def _menu(self, method, args):
        return self.desktop.call(self.service, self.menu_path, "com.canonical.dbusmenu", method,
                                 args)

    def items(self):
        """[(id, label, enabled)] of the top level, separators left out, in menu order."""
        _revision, (_root, _props, children) = self._menu(
            "GetLayout", GLib.Variant("(iias)", (0, -1, [])))
        out = []
        for item_id, props, _children in children:
            if props.get("type") == "separator" or not props.get("visible", True):
                continue
            out.append((item_id, props.get("label", ""), props.get("enabled", True)))
        return out

    def view(self):
        """The status line (the first item) and {label: enabled} of the actions; the engine's
        information line ("Engine: …") is read by `engine_line`."""
        items = self.items()
        return items[0][1], {label: enabled for _id, label, enabled in items[1:]
                             if not label.startswith("Engine: ")}

    def engine_line(self):
        return next((label for _id, label, _e in self.items() if label.startswith("Engine: ")),
                    None)

    def click(self, label, timeout=30):
        """Clicks the item once the menu shows it enabled, as a user would."""
        self.wait_view(f"{label!r} enabled", lambda _line, items: items.get(label), timeout)
        item_id = next(i for i, l, _e in self.items() if l == label)
        self._menu("Event", GLib.Variant("(isvu)", (item_id, "clicked", GLib.Variant("s", ""), 0)))

    def signals_since(self, mark):
        with self.desktop.cond:  # re-entrant: also called while waiting on it
            return [s for s in self.desktop.menu_signals[mark:] if s.sender == self.service]

    def signal_mark(self):
        with self.desktop.cond:
            return len(self.desktop.menu_signals)

    def wait_view(self, what, predicate, timeout=30):
        """Re-reads the menu on each of its change signals (and once at first) until
        `predicate(status_line, items)` holds; returns (status_line, items)."""
        deadline = time.monotonic() + timeout
        mark = self.signal_mark()
        seen = []
        while True:
            view = self.view()
            if predicate(*view):
                return view
            if not seen or seen[-1] != view:
                seen.append(view)
            left = deadline - time.monotonic()
            assert left > 0, f"the tray menu never showed {what}; it showed {seen}"
            # The next LayoutUpdated / ItemsPropertiesUpdated of this menu, or the deadline.
            with self.desktop.cond:
                self.desktop.cond.wait_for(lambda: self.signals_since(mark), left)
            mark = self.signal_mark()
