"""The FDI tooth chart (frontend/src/toothchart.js) in Chromium, used as a person would.

The page is the server's markup contract (a grid of checkboxes that posts without JavaScript),
served with the built bundle under the site's Content-Security-Policy; every state passes
axe-core. Run `cd frontend && npm ci && npm run build` first.
"""

import pytest
from playwright.sync_api import expect

from bench.viewer_bench import DIST
from tests.browser.test_widgets import WidgetWindow, chunks_requested

pytestmark = pytest.mark.browser

# Screen order, patient's right on the left: upper 18…11 21…28, lower 48…41 31…38.
PERMANENT = {
    "upper": [[18, 17, 16, 15, 14, 13, 12, 11], [21, 22, 23, 24, 25, 26, 27, 28]],
    "lower": [[48, 47, 46, 45, 44, 43, 42, 41], [31, 32, 33, 34, 35, 36, 37, 38]],
}
PRIMARY = {
    "upper": [[55, 54, 53, 52, 51], [61, 62, 63, 64, 65]],
    "lower": [[85, 84, 83, 82, 81], [71, 72, 73, 74, 75]],
}
JAW_LABELS = {"upper": "Upper jaw", "lower": "Lower jaw"}


def jaws(name: str, dentition: dict[str, list[list[int]]]) -> str:
    html = []
    for jaw, quadrants in dentition.items():
        html.append(
            f'<div class="tooth-chart__jaw" data-jaw="{jaw}" role="group" '
            f'aria-label="{JAW_LABELS[jaw]}">'
        )
        for teeth in quadrants:
            html.append(f'<div class="tooth-chart__quadrant" data-quadrant="{teeth[0] // 10}">')
            html.extend(
                f'<label class="tooth" data-fdi="{n}"><input type="checkbox" name="{name}" '
                f'value="{n}"><span class="tooth__number">{n}</span></label>'
                for n in teeth
            )
            html.append("</div>")
        html.append("</div>")
    return "\n".join(html)


def tooth_chart(name: str, legend: str, pontics_for: str = "") -> str:
    chart_id = f"chart-{name}"
    extra = f' data-tooth-chart-pontics-for="{pontics_for}"' if pontics_for else ""
    return f"""
<fieldset class="tooth-chart" data-tooth-chart id="{chart_id}"{extra}>
  <legend>{legend}</legend>
  <p class="hint" id="{chart_id}-hint">FDI numbering; the patient's right is on the left.</p>
  {jaws(name, PERMANENT)}
  <details class="tooth-chart__primary"><summary>Primary teeth</summary>
  {jaws(name, PRIMARY)}
  </details>
  <p class="tooth-chart__summary" data-tooth-chart-summary aria-live="polite"
     data-empty="No tooth selected" data-prefix="Selected:"></p>
</fieldset>"""


ORDER_FORM = f"""
<form method="post" action="/orders/" id="order">
  <p><label for="restoration">Restoration</label>
    <select id="restoration" name="restoration_type">
      <option value="crown">Crown</option><option value="bridge">Bridge</option>
    </select></p>
  {tooth_chart("teeth", "Teeth")}
  <div data-show-for="bridge" id="bridge-details">
    {tooth_chart("pontics", "Pontics", pontics_for="chart-teeth")}
  </div>
  <button type="submit">Save</button>
</form>
"""


@pytest.fixture
def window(browser):
    if not (DIST / "chunks" / "toothchart.js").exists():
        pytest.fail("frontend/dist is missing: run `cd frontend && npm ci && npm run build`")
    contexts = []

    def open_window(width: int = 1280, height: int = 900) -> WidgetWindow:
        context = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
        contexts.append(context)
        return WidgetWindow(context)

    yield open_window
    for context in contexts:
        context.close()


def open_order_form(window, **size):
    w = window(**size)
    page = w.open("New order", ORDER_FORM)
    expect(page.locator("#chart-teeth")).to_have_class("tooth-chart is-enhanced")
    expect(page.locator("#chart-pontics")).to_have_class("tooth-chart is-enhanced")
    return w, page


def focused_tooth(page) -> str:
    """The value of the focused checkbox and the chart it is in, e.g. 'teeth 11'."""
    return page.evaluate(
        "() => { const e = document.activeElement; "
        "return e && e.type === 'checkbox' ? `${e.name} ${e.value}` : e && e.tagName; }"
    )


def enabled_teeth(page, chart: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{chart} input[type=checkbox]",
        "inputs => inputs.filter(i => !i.disabled).map(i => i.value)",
    )


def form_data(page) -> dict[str, list[str]]:
    return page.evaluate(
        """() => { const data = {};
                   for (const [key, value] of new FormData(document.getElementById("order"))) {
                     (data[key] ||= []).push(value);
                   }
                   return data; }"""
    )


def test_tooth_chart_by_keyboard_and_mouse_with_its_pontic_chart(window):
    w, page = open_order_form(window)
    teeth = page.locator("#chart-teeth")
    pontics = page.locator("#chart-pontics")
    teeth_summary = teeth.locator("[data-tooth-chart-summary]")
    bridge = page.locator("#bridge-details")
    assert chunks_requested(w) == {"toothchart.js"}

    # A crown: the bridge block is hidden; nothing selected yet; no pontic is available.
    expect(bridge).to_be_hidden()
    expect(teeth_summary).to_have_text("No tooth selected")
    assert enabled_teeth(page, "chart-pontics") == []
    w.check()

    # The chart is one tab stop: from the select, Tab lands on the first tooth, the next Tab
    # leaves the permanent teeth for the primary teeth's summary.
    page.get_by_label("Restoration").focus()
    page.keyboard.press("Tab")
    assert focused_tooth(page) == "teeth 18"
    tooth_18 = teeth.locator("label.tooth[data-fdi='18']")
    assert tooth_18.evaluate("label => getComputedStyle(label).outlineStyle") == "solid"
    page.keyboard.press("Tab")
    expect(teeth.get_by_text("Primary teeth")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert focused_tooth(page) == "teeth 18"

    # Arrows move along the row across the midline and between the jaws; Home/End to the ends.
    page.keyboard.press("End")
    assert focused_tooth(page) == "teeth 28"
    page.keyboard.press("Home")
    assert focused_tooth(page) == "teeth 18"
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert focused_tooth(page) == "teeth 11"
    page.keyboard.press("ArrowRight")
    assert focused_tooth(page) == "teeth 21"
    page.keyboard.press("ArrowDown")
    assert focused_tooth(page) == "teeth 31"
    page.keyboard.press("ArrowDown")  # no jaw below: stays
    assert focused_tooth(page) == "teeth 31"
    page.keyboard.press("ArrowUp")
    assert focused_tooth(page) == "teeth 21"

    # Space selects; the summary says so.
    page.keyboard.press("Space")
    expect(teeth.get_by_label("21", exact=True)).to_be_checked()
    expect(teeth_summary).to_have_text("Selected: 21")

    # Click 13, Shift+click 11: 13…11 selected.
    teeth.locator("label.tooth[data-fdi='13']").click()
    teeth.locator("label.tooth[data-fdi='11']").click(modifiers=["Shift"])
    expect(teeth_summary).to_have_text("Selected: 11, 12, 13, 21")
    expect(teeth.get_by_label("14", exact=True)).not_to_be_checked()

    # Shift+Space extends from the last toggled tooth (11) to 23 across the midline.
    assert focused_tooth(page) == "teeth 11"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+Space")
    expect(teeth_summary).to_have_text("Selected: 11, 12, 13, 21, 22, 23")
    w.check()

    # Back in, the tab stop is the first checked tooth (13, in screen order).
    page.get_by_label("Restoration").focus()
    page.keyboard.press("Tab")
    assert focused_tooth(page) == "teeth 13"

    # A bridge: the pontic chart appears and offers exactly the selected teeth.
    page.get_by_label("Restoration").select_option("bridge")
    expect(bridge).to_be_visible()
    assert enabled_teeth(page, "chart-pontics") == ["13", "12", "11", "21", "22", "23"]
    pontics.locator("label.tooth[data-fdi='12']").click()
    pontics.locator("label.tooth[data-fdi='22']").click()
    expect(pontics.locator("[data-tooth-chart-summary]")).to_have_text("Selected: 12, 22")
    w.check()

    # Its tab stop is its first checked tooth; unavailable teeth are skipped by the arrows.
    teeth.locator("label.tooth[data-fdi='23']").click()  # focus in the teeth chart, 23 off
    page.keyboard.press("Shift+Tab")  # leave, restoring the teeth chart's tab stop
    page.keyboard.press("Tab")
    assert focused_tooth(page) == "teeth 13"
    pontics.get_by_label("12", exact=True).focus()
    page.keyboard.press("End")
    assert focused_tooth(page) == "pontics 22"
    page.keyboard.press("Home")
    assert focused_tooth(page) == "pontics 13"

    # Unchecking a tooth in the restoration unchecks and disables it as a pontic.
    teeth.locator("label.tooth[data-fdi='22']").click()
    expect(pontics.get_by_label("22", exact=True)).to_be_disabled()
    expect(pontics.get_by_label("22", exact=True)).not_to_be_checked()
    expect(pontics.locator("[data-tooth-chart-summary]")).to_have_text("Selected: 12")
    assert enabled_teeth(page, "chart-pontics") == ["13", "12", "11", "21"]

    # What the form posts.
    data = form_data(page)
    assert data["restoration_type"] == ["bridge"]
    assert sorted(data["teeth"]) == ["11", "12", "13", "21"]
    assert data["pontics"] == ["12"]

    page.get_by_label("Restoration").select_option("crown")
    expect(bridge).to_be_hidden()
    w.check()


def test_primary_teeth_are_their_own_row_pair(window):
    w, page = open_order_form(window)
    teeth = page.locator("#chart-teeth")
    teeth.get_by_text("Primary teeth").click()
    page.keyboard.press("Tab")
    assert focused_tooth(page) == "teeth 55"
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert focused_tooth(page) == "teeth 61"
    page.keyboard.press("ArrowDown")
    assert focused_tooth(page) == "teeth 71"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+Space")
    expect(teeth.locator("[data-tooth-chart-summary]")).to_have_text("Selected: 71, 81")
    # The permanent teeth kept their own tab stop.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused_tooth(page) == "teeth 18"
    w.check()


def test_tooth_chart_fits_a_small_phone(window):
    w, page = open_order_form(window, width=320, height=640)
    page.get_by_label("Restoration").select_option("bridge")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # The arch scrolls sideways inside the chart; focus brings a tooth into view.
    teeth = page.locator("#chart-teeth")
    teeth.get_by_label("18", exact=True).focus()
    page.keyboard.press("End")
    box = teeth.locator("label.tooth[data-fdi='28']").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    w.check()
