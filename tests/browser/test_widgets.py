"""The front-end widgets in Chromium, each on its own page, without Django views.

The pages, the built bundle (frontend/dist) and generated sample files (STL/GLB/PLY meshes, a
5-slice DICOM ZIP, a PNG) are served through Playwright's request routing from
http://widgets.example under the site's Content-Security-Policy, so a widget that needs an inline
script or style, eval, or a blob: worker fails here. Every page passes axe-core (no
serious/critical WCAG 2.1 A/AA violations). Run `cd frontend && npm ci && npm run build` first.
"""

import base64
import hashlib
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from bench.viewer_bench import (
    DIST,
    ORIGIN,
    WidgetSite,
    arch_mesh,
    binary_stl,
    dicom_series_zip,
    mesh_bytes,
    page_html,
)
from tests.browser.conftest import Visitor

pytestmark = pytest.mark.browser

# Any CSP violation in the document, including ones the console does not word as we expect.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class WidgetWindow(Visitor):
    """A Visitor on the routed widget site: ``.site`` serves files, ``.check()`` runs axe + CSP."""

    def __init__(self, context):
        super().__init__(context, ORIGIN)
        self.site = WidgetSite(self.page)
        self.page.add_init_script(RECORD_CSP_VIOLATIONS)

    def open(self, title: str, body: str):
        self.site.add("/", page_html(title, body))
        return self.goto("/")

    def check(self):
        super().check()
        assert self.page.evaluate("window.__cspViolations") == []

    def frames(self, count: int = 2):
        """Let requestAnimationFrame-driven rendering catch up."""
        self.page.evaluate(
            "n => new Promise(done => { const step = k => k ? requestAnimationFrame(() => "
            "step(k - 1)) : done(); step(n); })",
            count,
        )


@pytest.fixture
def window(browser):
    if not (DIST / "app.js").exists():
        pytest.fail("frontend/dist is missing: run `cd frontend && npm ci && npm run build`")
    contexts = []

    def open_window(width: int = 1280, height: int = 900) -> WidgetWindow:
        context = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
        contexts.append(context)
        return WidgetWindow(context)

    yield open_window
    for context in contexts:
        context.close()


def pixels(locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=np.int16)


def differs(a: np.ndarray, b: np.ndarray, threshold: float = 1.0) -> bool:
    """Mean absolute difference per channel above the threshold (0..255)."""
    return a.shape != b.shape or float(np.abs(a - b).mean()) > threshold


def chunks_requested(window) -> set[str]:
    return {
        r["path"].removeprefix("/static/chunks/")
        for r in window.site.requests
        if r["path"].startswith("/static/chunks/")
    }


# --- uploader --------------------------------------------------------------------------------

UPLOAD_FORM = """
<form data-uploader data-endpoint="/files/tus/" data-chunk-size="33554432" method="post">
  <input type="hidden" name="order" value="ord-7">
  <p><label for="kind">Kind of file</label>
    <select id="kind" name="kind"><option value="scan">Intraoral scan</option>
    <option value="cbct">CBCT</option></select></p>
  <p><label for="files">Files</label><input id="files" type="file" name="file" multiple></p>
  <button type="submit">Upload</button>
  <ul data-upload-list aria-live="polite"></ul>
</form>
"""
REFUSAL = {"error": {"code": "order_closed", "message": "This order no longer takes files."}}


def refuse_uploads(request):
    return 403, "application/json", json.dumps(REFUSAL).encode()


def decode_metadata(header: str) -> dict[str, str]:
    pairs = (item.split(" ", 1) for item in header.split(","))
    return {key: base64.b64decode(value).decode() for key, value in pairs}


def watch_upload_list(page):
    """Record every status text and data-state the list shows, however briefly."""
    page.evaluate(
        """() => {
            window.__seen = [];
            const list = document.querySelector("[data-upload-list]");
            new MutationObserver(() => {
                for (const li of list.querySelectorAll("li")) {
                    window.__seen.push(`${li.dataset.state}|${li.querySelector(
                        ".upload-status").textContent}`);
                }
            }).observe(list, {subtree: true, childList: true, characterData: true,
                              attributes: true});
        }"""
    )


def test_uploader_hashes_first_then_shows_the_servers_refusal_without_retrying(window):
    w = window()
    w.site.handlers["/files/tus/"] = refuse_uploads
    page = w.open("Upload files", UPLOAD_FORM)
    expect(page.locator("form.uploader")).to_be_visible()
    w.check()
    watch_upload_list(page)
    content = np.random.default_rng(1).integers(0, 256, 12 * 1024 * 1024, np.uint8).tobytes()

    page.get_by_label("Kind of file").select_option("cbct")
    page.get_by_label("Files").set_input_files(
        {"name": "upper.stl", "mimeType": "model/stl", "buffer": content}
    )
    page.get_by_role("button", name="Upload").click()

    item = page.locator("[data-upload-list] li")
    expect(item).to_have_attribute("data-state", "error")
    expect(item).to_contain_text("This order no longer takes files.")
    expect(item).to_contain_text("upper.stl")
    expect(item).to_contain_text("12.0 MB")
    expect(page.get_by_role("progressbar", name="Progress of upper.stl")).to_be_visible()
    expect(item.get_by_role("button", name="Cancel")).to_be_hidden()
    seen = page.evaluate("window.__seen")
    assert any(re.fullmatch(r"hashing\|Checking file… \d+ %", s) for s in seen), seen
    w.check()

    # One creation request (a 403 is final), with the CSRF token from the meta tag and the
    # checksum of the whole file computed before it.
    posts = [r for r in w.site.requests if r["path"] == "/files/tus/"]
    assert [r["method"] for r in posts] == ["POST"]
    headers = posts[0]["headers"]
    assert headers["x-csrftoken"] == "csrf-from-meta"
    assert headers["tus-resumable"] == "1.0.0"
    assert headers["upload-length"] == str(len(content))
    assert decode_metadata(headers["upload-metadata"]) == {
        "order": "ord-7",
        "kind": "cbct",
        "filename": "upper.stl",
        "filetype": "model/stl",
        "sha256": hashlib.sha256(content).hexdigest(),
    }

    # Django's csrftoken cookie, when there is one, wins over the meta tag.
    w.context.add_cookies([{"name": "csrftoken", "value": "csrf-from-cookie", "url": ORIGIN}])
    page.get_by_label("Files").set_input_files(
        {"name": "lower.ply", "mimeType": "", "buffer": b"ply\n"}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-list] li").nth(1)).to_have_attribute("data-state", "error")
    posts = [r for r in w.site.requests if r["path"] == "/files/tus/"]
    assert posts[-1]["headers"]["x-csrftoken"] == "csrf-from-cookie"
    metadata = decode_metadata(posts[-1]["headers"]["upload-metadata"])
    assert metadata["filetype"] == "application/octet-stream"
    assert metadata["sha256"] == hashlib.sha256(b"ply\n").hexdigest()


def test_uploader_form_is_a_drop_zone(window):
    w = window()
    w.site.handlers["/files/tus/"] = refuse_uploads
    page = w.open("Upload files", UPLOAD_FORM)
    form = page.locator("form[data-uploader]")
    expect(form).to_have_class(re.compile(r"\buploader\b"))
    dragged = page.evaluate_handle(
        """() => { const t = new DataTransfer();
                   t.items.add(new File(["solid x\\nendsolid x\\n"], "dropped.stl"));
                   return t; }"""
    )
    form.dispatch_event("dragenter", {"dataTransfer": dragged})
    expect(form).to_have_class(re.compile(r"\bis-dragover\b"))
    w.check()  # the highlighted state passes axe as well
    form.dispatch_event("dragleave", {"dataTransfer": dragged})
    expect(form).not_to_have_class(re.compile(r"\bis-dragover\b"))

    form.dispatch_event("dragenter", {"dataTransfer": dragged})
    form.dispatch_event("drop", {"dataTransfer": dragged})
    expect(form).not_to_have_class(re.compile(r"\bis-dragover\b"))
    item = page.locator("[data-upload-list] li")
    expect(item).to_contain_text("dropped.stl")
    expect(item).to_have_attribute("data-state", "error")
    w.check()


# --- 3D viewer -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meshes() -> dict[str, bytes]:
    upper = arch_mesh(240, 48)
    lower = arch_mesh(240, 48, jaw="lower")
    upper_again = arch_mesh(240, 48, variant=3)
    return {
        "/scans/upper.stl": binary_stl(*upper),
        "/scans/lower.glb": mesh_bytes(*lower, "glb"),
        "/scans/upper-new.ply": mesh_bytes(*upper_again, "ply"),
    }


MODELS = [
    {
        "url": "/scans/upper.stl",
        "label": "Upper jaw",
        "jaw": "upper",
        "format": "stl",
        "group": "a",
    },
    {
        "url": "/scans/lower.glb",
        "label": "Lower jaw",
        "jaw": "lower",
        "format": "glb",
        "group": "a",
    },
    {
        "url": "/scans/upper-new.ply",
        "label": "Upper jaw, new scan",
        "jaw": "upper",
        "format": "ply",
        "group": "b",
    },
]


def mesh_figure(models, caption="Scans of the upper and lower jaw") -> str:
    return (
        f"<figure data-mesh-viewer data-models='{json.dumps(models)}'>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def open_mesh_viewer(window, meshes, models=MODELS, **size):
    w = window(**size)
    for path, data in meshes.items():
        w.site.add(path, data, "application/octet-stream")
    page = w.open("Scans", mesh_figure(models))
    figure = page.locator("figure[data-mesh-viewer]")
    expect(figure).to_have_attribute("data-rendered", "true", timeout=30_000)
    w.frames()
    return w, page, figure


def test_mesh_viewer_renders_stl_glb_and_ply_and_its_controls_change_the_picture(window, meshes):
    w, page, figure = open_mesh_viewer(window, meshes)
    canvas = page.get_by_role("img", name="Scans of the upper and lower jaw")
    expect(canvas).to_be_visible()
    assert float(figure.get_attribute("data-first-frame-ms")) > 0
    assert chunks_requested(w) >= {"viewer3d.js"}
    assert "dicom.js" not in chunks_requested(w)
    w.check()

    side_by_side = pixels(canvas)
    assert side_by_side.std() > 10, "the canvas is blank"
    assert len(np.unique(side_by_side.reshape(-1, 3), axis=0)) > 50

    def after(action) -> np.ndarray:
        action()
        w.frames()
        return pixels(canvas)

    lower_hidden = after(lambda: page.get_by_label("Lower jaw", exact=True).uncheck())
    assert differs(side_by_side, lower_hidden)
    lower_back = after(lambda: page.get_by_label("Lower jaw", exact=True).check())
    assert not differs(side_by_side, lower_back, threshold=0.2)

    faded = after(lambda: page.get_by_label("Opacity").fill("40"))
    assert differs(side_by_side, faded)
    page.get_by_label("Opacity").fill("100")

    view = page.get_by_label("View", exact=True)
    expect(view).to_have_value("side")
    overlay = after(lambda: view.select_option(label="Overlay"))
    expect(figure).to_have_attribute("data-view", "overlay")
    assert differs(side_by_side, overlay)
    # The overlay tints group B blue: some pixels are clearly bluer than they are red.
    assert int(((overlay[..., 2] - overlay[..., 0]) > 40).sum()) > 500
    only_a = after(lambda: view.select_option(label="Only A"))
    only_b = after(lambda: view.select_option(label="Only B"))
    assert differs(overlay, only_a)
    assert differs(only_a, only_b)
    back = after(lambda: view.select_option(label="Side by side"))
    assert not differs(side_by_side, back, threshold=0.2)
    w.check()


def test_mesh_viewer_says_which_model_could_not_be_loaded(window, meshes):
    models = [*MODELS[:1], {"url": "/scans/gone.stl", "label": "Bite", "jaw": "", "format": "stl"}]
    w, page, figure = open_mesh_viewer(window, meshes, models=models)
    expect(figure).to_contain_text("Could not load “Bite”: the server answered 404.")
    # One group only: nothing to compare, so no View select.
    expect(page.get_by_label("View", exact=True)).to_have_count(0)
    expect(page.get_by_label("Upper jaw", exact=True)).to_be_checked()
    w.check()


# --- DICOM viewer ----------------------------------------------------------------------------


def test_dicom_viewer_shows_three_planes_and_window_presets_change_the_picture(window):
    w = window()
    w.site.add("/files/cbct/download", dicom_series_zip(), "application/zip")
    page = w.open(
        "CBCT",
        '<figure data-dicom-viewer data-url="/files/cbct/download" data-name="series.zip">'
        "<figcaption>CBCT of the lower jaw</figcaption></figure>",
    )
    figure = page.locator("figure[data-dicom-viewer]")
    expect(figure).to_have_attribute("data-rendered", "true", timeout=30_000)
    for plane in ("Axial", "Coronal", "Sagittal"):
        expect(
            page.get_by_role("img", name=f"{plane} view of CBCT of the lower jaw")
        ).to_be_visible()
        expect(page.get_by_label(f"{plane} slice")).to_be_visible()
    assert "viewer3d.js" not in chunks_requested(w)
    w.frames()
    w.check()

    axial = page.get_by_role("img", name="Axial view of CBCT of the lower jaw")
    default = pixels(axial)
    assert default.std() > 10
    preset = page.get_by_label("Window/level")
    preset.select_option(label="Bone")
    w.frames()
    bone = pixels(axial)
    assert differs(default, bone)
    preset.select_option(label="Soft tissue")
    w.frames()
    soft = pixels(axial)
    assert differs(bone, soft)
    assert differs(default, soft)

    # The axial slider moves through the 5 slices (each slice's bone is brighter).
    slider = page.get_by_label("Axial slice")
    expect(slider).to_have_attribute("max", "4")
    preset.select_option(label="Default")
    w.frames()
    before = pixels(axial)
    slider.fill(str(4 - int(slider.input_value())))
    w.frames()
    assert differs(before, pixels(axial))
    w.check()


def test_dicom_viewer_reports_a_missing_series(window):
    w = window()
    page = w.open(
        "CBCT",
        '<figure data-dicom-viewer data-url="/files/none/download" data-name="series.zip">'
        "<figcaption>CBCT</figcaption></figure>",
    )
    expect(page.locator("figure[data-dicom-viewer]")).to_contain_text(
        "Could not load the images: the server answered 404."
    )
    w.check()


# --- lightbox --------------------------------------------------------------------------------


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


GALLERY = """
<ul data-lightbox-group class="gallery">
  <li><a data-lightbox href="/photos/front.png"><img src="/photos/front-thumb.png"
      alt="Front view of the smile" width="120" height="80"></a></li>
  <li><a data-lightbox href="/photos/side.png"><img src="/photos/side-thumb.png"
      alt="Left side view" width="120" height="80"></a></li>
</ul>
"""


def open_gallery(window, **size):
    w = window(**size)
    for name, colour in (("front", (200, 90, 80)), ("side", (80, 120, 200))):
        w.site.add(f"/photos/{name}.png", png(1600, 1000, colour), "image/png")
        w.site.add(f"/photos/{name}-thumb.png", png(120, 80, colour), "image/png")
    page = w.open("Photos", GALLERY)
    expect(page.locator("dialog.lightbox")).to_have_count(1)  # enhanced
    return w, page


def test_lightbox_opens_the_full_image_steps_with_arrows_and_gives_focus_back(window):
    w, page = open_gallery(window)
    w.check()
    front = page.get_by_role("link", name="Front view of the smile")
    side = page.get_by_role("link", name="Left side view")

    front.click()
    dialog = page.get_by_role("dialog", name=re.compile("Front view of the smile"))
    expect(dialog).to_be_visible()
    full = dialog.get_by_role("img", name="Front view of the smile")
    expect(full).to_have_attribute("src", re.compile(r"/photos/front\.png$"))
    page.wait_for_function("() => document.querySelector('dialog img').naturalWidth === 1600")
    expect(dialog).to_contain_text("(1 of 2)")
    w.check()

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(front).to_be_focused()

    front.click()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("dialog").get_by_role("img", name="Left side view")).to_be_visible()
    page.keyboard.press("ArrowRight")  # wraps around
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("img", name="Front view of the smile")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("dialog")).to_contain_text("Left side view (2 of 2)")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(side).to_be_focused()
    assert chunks_requested(w) == {"lightbox.js"}


# --- all of them ---------------------------------------------------------------------------


def test_pages_without_widgets_load_no_widget_code(window):
    w = window()
    page = w.open("Plain page", "<p>Nothing to enhance here.</p>")
    page.wait_for_load_state("networkidle")
    assert chunks_requested(w) == set()
    w.check()


def test_widgets_fit_a_phone_screen(window, meshes):
    w = window(width=375, height=812)
    for path, data in meshes.items():
        w.site.add(path, data, "application/octet-stream")
    w.site.add("/files/cbct/download", dicom_series_zip(), "application/zip")
    w.site.add("/photos/front.png", png(1600, 1000, (200, 90, 80)), "image/png")
    w.site.add("/photos/front-thumb.png", png(120, 80, (200, 90, 80)), "image/png")
    page = w.open(
        "Everything",
        UPLOAD_FORM
        + mesh_figure(MODELS)
        + '<figure data-dicom-viewer data-url="/files/cbct/download" data-name="series.zip">'
        "<figcaption>CBCT</figcaption></figure>"
        + '<p><a data-lightbox href="/photos/front.png"><img src="/photos/front-thumb.png" '
        'alt="Front view" width="120" height="80"></a></p>',
    )
    expect(page.locator("figure[data-mesh-viewer]")).to_have_attribute(
        "data-rendered", "true", timeout=30_000
    )
    expect(page.locator("figure[data-dicom-viewer]")).to_have_attribute(
        "data-rendered", "true", timeout=30_000
    )
    w.frames()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    w.check()
    page.get_by_role("link", name="Front view").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    box = page.get_by_role("dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    w.check()
