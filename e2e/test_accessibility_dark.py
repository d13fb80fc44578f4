"""The same axe-core audit with the desktop in a dark theme (GTK's dark Adwaita, which the
webview turns into `prefers-color-scheme: dark`)."""

from test_accessibility import audit_states

# For the apps this module launches (see conftest's driver_url).
APP_ENV = {"GTK_THEME": "Adwaita:dark"}


def test_the_window_passes_axe_in_the_dark_theme(cfg, launch, names, screenshot):
    app = audit_states(cfg, launch, names, dark=True,
                       before_start=lambda app: screenshot(app, "not-created-dark"))
    screenshot(app, "running-dark")
