"""The app's window through WebDriver: find, click, wait, record what the page showed."""

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Installed before a click: records every distinct state of the progress card that the page
# rendered (each render is one animation frame), so a fast pull or build is still seen whole.
RECORDER_JS = """
const $ = (id) => document.getElementById(id);
const seen = { visible: false, layers: [], steps: [], sources: [], failed: [], stages: [],
               headlines: [] };
const add = (list, value) => { if (value && list[list.length - 1] !== value) list.push(value); };
const look = () => {
  add(seen.headlines, $("state").textContent);
  if ($("progress").hidden) return;
  seen.visible = true;
  const rows = [...document.querySelectorAll("#layers li")].map(
    (li) => li.dataset.id + " " + li.querySelector(".layer-status").textContent);
  if (!$("layers").hidden && rows.length) add(seen.layers, JSON.stringify(rows));
  if (!$("build").hidden) add(seen.steps, $("build-step").textContent);
  if (!$("pull-source").hidden) add(seen.sources, $("pull-source").textContent);
  if (!$("failed-sources").hidden) add(seen.failed, $("failed-sources").textContent);
  if (!$("stage").hidden) add(seen.stages, $("stage").textContent);
};
for (const id of ["progress", "state"]) {
  new MutationObserver(look).observe($(id),
    { subtree: true, childList: true, characterData: true, attributes: true });
}
window.__e2eSeen = seen;
look();
"""


class Window:
    def __init__(self, driver):
        self.driver = driver

    def el(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id):
        return self.el(element_id).text

    def shown(self, element_id):
        return self.el(element_id).is_displayed()

    def enabled(self, element_id):
        return self.el(element_id).is_enabled()

    def click(self, element_id, timeout=30):
        """Clicks once the element is enabled, as a user would: a lifecycle button stays
        disabled until the running operation has answered, even when the state reads done."""
        self.wait_enabled(element_id, timeout)
        self.el(element_id).click()

    def type(self, element_id, text):
        field = self.el(element_id)
        field.clear()
        field.send_keys(text)

    def wait(self, what, condition, timeout=30):
        """Polls `condition()` (WebDriverWait, every 0.1 s) until truthy; returns its value."""
        def probe(_driver):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            probe, f"timed out after {timeout} s waiting for {what}")

    def wait_text(self, element_id, expected, timeout=30):
        last = []

        def matches():
            last[:] = [self.text(element_id)]
            return last[0] == expected
        try:
            return self.wait(f"#{element_id} to read {expected!r}", matches, timeout)
        except Exception as e:
            raise AssertionError(f"#{element_id} reads {last[0]!r}, not {expected!r}") from e

    def wait_state(self, expected, timeout=60):
        return self.wait_text("state", expected, timeout)

    def wait_enabled(self, element_id, timeout=30):
        return self.wait(f"#{element_id} to be enabled", lambda: self.enabled(element_id), timeout)

    def invoke(self, command, args=None):
        """Calls one of the app's commands the way app.js does; returns {ok, value|error}."""
        return self.driver.execute_async_script(
            """const [command, args, done] = arguments;
            window.__TAURI__.core.invoke(command, args ?? {}).then(
              (value) => done({ ok: true, value }), (error) => done({ ok: false, error }));""",
            command, args)

    def record_progress(self):
        self.driver.execute_script(RECORDER_JS)

    def seen(self):
        return self.driver.execute_script("return window.__e2eSeen;")

    def screenshot(self, path):
        """After the page has painted what it has (two animation frames)."""
        self.driver.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")
        assert self.driver.get_screenshot_as_file(str(path)), f"no screenshot at {path}"
