"""The window passes an axe-core audit (no serious or critical violation) in the light theme, in
its main states: nothing created yet, and running; and the audit does catch a violation."""

import engine
from a11y import audit, describe
from support import base_settings


def audit_states(cfg, launch, names, dark, before_start=None):
    app = launch(base_settings(names, image=cfg.image, image_mode="build",
                               build_context=str(cfg.build_context)))
    w = app.window
    assert app.driver.execute_script(
        "return matchMedia('(prefers-color-scheme: dark)').matches;") == dark
    w.wait_state("Not created yet")
    violations = audit(app.driver)
    assert violations == [], describe(violations)
    if before_start:
        before_start(app)

    w.click("start")
    w.wait_state(f"Running — {app.url}", timeout=90)
    assert engine.healthy(app.instance)
    violations = audit(app.driver)
    assert violations == [], describe(violations)
    return app


def test_the_window_passes_axe_in_the_light_theme(cfg, launch, names):
    app = audit_states(cfg, launch, names, dark=False)
    # The audit can fail: a button without a name is a critical violation.
    app.driver.execute_script(
        "const b = document.createElement('button'); b.id = 'axe-probe';"
        "document.body.append(b);")
    assert [v["id"] for v in audit(app.driver)] == ["button-name"]
    app.driver.execute_script("document.getElementById('axe-probe').remove();")
