"""An accessibility audit of the window with axe-core, run inside the real webview.

axe-core's script comes from PyPI's `axe-playwright-python` package, which ships axe.min.js
(scripts/e2e.sh installs it; npm is not reachable here). It is injected and run over WebDriver;
nothing of Playwright is used.
"""

from importlib import resources

# What makes the window unusable for someone: serious and critical findings fail the test.
BLOCKING = {"serious", "critical"}

RUN_JS = """
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((r) => done({ ok: true, violations: r.violations }))
  .catch((e) => done({ ok: false, error: String(e) }));
"""


def axe_source():
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()


def audit(driver):
    """axe's serious and critical violations of the page as it is now."""
    driver.execute_script(axe_source())
    result = driver.execute_async_script(RUN_JS)
    assert result["ok"], result
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(violations):
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations)
