"""How long the 3D viewer takes to show a scan: ``.venv/bin/python bench/viewer_bench.py [--quick]``
(median time to the first frame, against fetching the same bytes).

Generates a scan-like dental arch of about 300,000 triangles (numpy), writes it as a binary STL and
as a GLB (trimesh), serves the viewer page and the built ``frontend/dist`` (run
``cd frontend && npm ci && npm run build`` first) from a loopback HTTP server under the site's
Content-Security-Policy (the tests route the same site through Playwright instead), and measures
in Debian's Chromium the median time from navigation start to the first rendered frame (the
figure's ``data-first-frame-ms``), each run in a fresh browser context. The baseline, measured in
the same run, is a page that only fetches the same bytes (``fetch(url).then(r =>
r.arrayBuffer())``): the ratio is what loading the viewer code, parsing and drawing cost on top of
the download.

The helpers here (mesh, STL/GLB bytes, the test site) are shared with
``tests/browser/test_widgets.py``.
"""

import argparse
import contextlib
import io
import json
import mimetypes
import statistics
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "frontend" / "dist"
ORIGIN = "http://widgets.example"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# --- sample meshes ---------------------------------------------------------------------------


def arch_mesh(
    n_along: int = 1500, n_around: int = 100, *, jaw: str = "upper", variant: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A horseshoe-shaped tube with a row of tooth bumps, like an intraoral scan of one jaw.

    Returns (vertices float32 (n, 3) in mm, faces int32 (m, 3)); 2 * (n_along - 1) * n_around
    triangles. ``variant`` perturbs the shape a little (a second scan of the same jaw).
    """
    rng = np.random.default_rng(7 + variant)
    t = np.linspace(-1.25, 1.25, n_along)  # along the arch, radians from the midline
    phi = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    tt, pp = np.meshgrid(t, phi, indexing="ij")
    # Centre line: a parabola-like U, 50 mm wide, 45 mm deep.
    cx = 25 * np.sin(tt)
    cy = 45 * np.cos(tt) ** 1.5 - 20
    # Radius: a gum ridge, with 14 teeth bulging on the occlusal side.
    teeth = np.abs(np.sin(7 * (tt + 1.25) * np.pi / 2.5 * 2)) ** 0.6
    occlusal = np.clip(np.sin(pp), 0, None)
    radius = 5 + 4 * occlusal * teeth + 0.15 * variant * np.sin(3 * tt)
    radius = radius + rng.normal(0, 0.03, radius.shape)
    nx, ny = np.sin(tt), np.cos(tt)  # outward direction of the arch in the plane
    x = cx + radius * np.cos(pp) * nx
    y = cy + radius * np.cos(pp) * ny
    z = radius * np.sin(pp) * 1.2
    z = -z - 4 if jaw == "lower" else z + 4
    vertices = np.stack([x, y, z], axis=-1).reshape(-1, 3).astype(np.float32)
    i = np.arange(n_along - 1)[:, None]
    j = np.arange(n_around)[None, :]
    a = i * n_around + j
    b = i * n_around + (j + 1) % n_around
    c = a + n_around
    d = b + n_around
    faces = np.concatenate(
        [np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)]
    )
    if jaw == "lower":
        faces = faces[:, ::-1]
    return vertices, faces.astype(np.int32)


def binary_stl(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    triangles = vertices[faces].astype(np.float32)
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = normals / np.where(lengths == 0, 1, lengths)
    record = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    rows = np.zeros(len(faces), dtype=record)
    rows["normal"] = normals
    rows["vertices"] = triangles
    header = b"DentalBridge synthetic arch".ljust(80, b" ")
    return header + struct.pack("<I", len(faces)) + rows.tobytes()


def mesh_bytes(vertices: np.ndarray, faces: np.ndarray, file_type: str) -> bytes:
    """GLB or PLY through trimesh (the same library the server uses for intake)."""
    import trimesh

    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    return mesh.export(file_type=file_type)


# --- a site served through Playwright's routing ----------------------------------------------


def page_html(title: str, body: str, *, script: str = "/static/app.js") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="csrf-from-meta">
<title>{title}</title>
<link rel="stylesheet" href="/static/app.css">
<script type="module" src="{script}"></script>
</head>
<body>
<main id="main"><h1>{title}</h1>
{body}
</main>
</body>
</html>"""


class WidgetSite:
    """Serves ``/static/*`` from frontend/dist and registered paths, all under the site's CSP.

    Unknown paths answer 404 with the server's JSON error shape. Every request is recorded. With a
    Playwright ``page`` it answers that page's requests to ``ORIGIN`` (the tests); without one,
    ``serve()`` puts it behind a real HTTP server on 127.0.0.1 (the benchmark: routing pumps every
    byte through the Playwright connection, which would dominate the timings).
    """

    def __init__(self, page=None):
        self.files: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[dict] = []
        self.handlers: dict[str, object] = {}
        if page is not None:
            page.route(ORIGIN + "/**", self._handle)

    def add(self, path: str, body, content_type: str = "text/html; charset=utf-8", status=200):
        data = body.encode() if isinstance(body, str) else body
        self.files[path] = (status, content_type, data)

    def respond(self, method: str, path: str, headers: dict, request=None):
        self.requests.append({"method": method, "path": path, "headers": headers})
        if path in self.handlers:
            status, content_type, data = self.handlers[path](request)
        elif path.startswith("/static/") and (DIST / path.removeprefix("/static/")).is_file():
            file = DIST / path.removeprefix("/static/")
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if content_type == "text/javascript":
                content_type = "text/javascript; charset=utf-8"
            status, data = 200, file.read_bytes()
        elif path in self.files:
            status, content_type, data = self.files[path]
        else:
            status, content_type = 404, "application/json"
            data = json.dumps({"error": {"code": "not_found", "message": "Not found."}}).encode()
        response_headers = {
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-store",
            "Content-Type": content_type,
        }
        return status, response_headers, data

    def _handle(self, route):
        request = route.request
        path = urlsplit(request.url).path
        status, headers, data = self.respond(request.method, path, request.all_headers(), request)
        route.fulfill(status=status, headers=headers, body=data)

    @contextlib.contextmanager
    def serve(self):
        """Yield the origin (``http://127.0.0.1:PORT``) of a loopback server for this site."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = urlsplit(self.path).path
                status, headers, data = site.respond("GET", path, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


# --- the benchmark ---------------------------------------------------------------------------

FETCH_ONLY_JS = """
const url = document.body.dataset.url;
fetch(url, {credentials: "same-origin"}).then((r) => r.arrayBuffer()).then((bytes) => {
  document.body.dataset.bytes = String(bytes.byteLength);
  document.body.dataset.doneMs = String(Math.round(performance.now()));
});
"""


def _viewer_page(url: str, fmt: str) -> str:
    models = json.dumps([{"url": url, "label": "Upper jaw", "jaw": "upper", "format": fmt}])
    return page_html(
        "Viewer bench",
        f"<figure data-mesh-viewer data-models='{models}'><figcaption>Upper jaw scan</figcaption>"
        "</figure>",
    )


def _time_once(browser, origin: str, path: str, attribute: str) -> float:
    """Milliseconds from navigation start to the page's ``data-<attribute>``, in a fresh context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(origin + path)
        selector = json.dumps(f"[data-{attribute}]")
        page.wait_for_function(f"() => document.querySelector({selector})", timeout=120_000)
        value = page.evaluate(
            f"() => document.querySelector({selector}).dataset[{json.dumps(_camel(attribute))}]"
        )
        return float(value)
    finally:
        context.close()


def _camel(attribute: str) -> str:
    head, *rest = attribute.split("-")
    return head + "".join(part.title() for part in rest)


def main(quick: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    if not (DIST / "app.js").exists():
        raise SystemExit("frontend/dist is missing: cd frontend && npm ci && npm run build")
    runs = 5 if quick else 9
    vertices, faces = arch_mesh()
    samples = {"glb": mesh_bytes(vertices, faces, "glb"), "stl": binary_stl(vertices, faces)}

    site = WidgetSite()
    site.add("/fetch-only.js", FETCH_ONLY_JS, "text/javascript")
    for fmt, data in samples.items():
        site.add(f"/scan.{fmt}", data, "application/octet-stream")
        site.add(f"/viewer-{fmt}", _viewer_page(f"/scan.{fmt}", fmt))
        fetch_page = page_html("Fetch only", f"<p>Fetching {fmt}…</p>", script="/fetch-only.js")
        site.add(f"/fetch-{fmt}", fetch_page.replace("<body>", f'<body data-url="/scan.{fmt}">'))

    timings: dict[str, list[float]] = {
        f"{kind}_{fmt}": [] for kind in ("fetch", "viewer") for fmt in samples
    }
    with site.serve() as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for fmt in samples:  # warm-up: the browser's first WebGL context, the disk cache
                _time_once(browser, origin, f"/viewer-{fmt}", "first-frame-ms")
            for _ in range(runs):
                for fmt in samples:
                    fetched = _time_once(browser, origin, f"/fetch-{fmt}", "done-ms")
                    timings[f"fetch_{fmt}"].append(fetched)
                    shown = _time_once(browser, origin, f"/viewer-{fmt}", "first-frame-ms")
                    timings[f"viewer_{fmt}"].append(shown)
        finally:
            browser.close()

    median = {name: statistics.median(values) for name, values in timings.items()}
    results = {
        "faces": len(faces),
        "runs": runs,
        "bytes": {fmt: len(data) for fmt, data in samples.items()},
        "median_ms": median,
        "ratio": {fmt: median[f"viewer_{fmt}"] / median[f"fetch_{fmt}"] for fmt in samples},
    }
    print(
        f"viewer  {round(len(faces) / 1000)}k faces  "
        f"fetch only glb {median['fetch_glb']:.0f} ms, stl {median['fetch_stl']:.0f} ms "
        f"(baseline)  first frame glb {median['viewer_glb']:.0f} ms = "
        f"{results['ratio']['glb']:.1f}x  stl {median['viewer_stl']:.0f} ms = "
        f"{results['ratio']['stl']:.1f}x"
    )
    return results


def dicom_series_zip(slices: int = 5, size: int = 64) -> bytes:
    """A tiny CT series (fictional phantom) as a ZIP of DICOM files, for the viewer tests."""
    import zipfile

    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(xx - size / 2, yy - size / 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for k in range(slices):
            hu = np.full((size, size), -1000, dtype=np.int16)  # air
            hu[r < size * 0.42] = 40  # soft tissue
            hu[r < size * 0.42 - 6] = 300 + 150 * k  # bone, brighter per slice
            hu[(r < 8)] = -200  # a darker core
            hu += (np.arange(size, dtype=np.int16) * 3)[None, :]  # gradient: windows differ
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = CTImageStorage
            meta.MediaStorageSOPInstanceUID = generate_uid()
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds = Dataset()
            ds.file_meta = meta
            ds.SOPClassUID = CTImageStorage
            ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
            ds.Modality = "CT"
            ds.PatientName = "Phantom^Test"
            ds.PatientID = "PHANTOM-1"
            ds.InstanceNumber = k + 1
            ds.ImagePositionPatient = [0.0, 0.0, float(k) * 2.0]
            ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
            ds.PixelSpacing = [0.5, 0.5]
            ds.SliceThickness = 2.0
            ds.Rows = ds.Columns = size
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
            ds.PixelRepresentation = 1
            ds.RescaleIntercept, ds.RescaleSlope = 0, 1
            ds.WindowCenter, ds.WindowWidth = 300, 1500
            ds.PixelData = hu.tobytes()
            out = io.BytesIO()
            ds.save_as(out, enforce_file_format=True)
            archive.writestr(f"IM{k + 1:04d}.dcm", out.getvalue())
    return buffer.getvalue()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 9")
    arguments = parser.parse_args()
    main(quick=arguments.quick)
    sys.exit(0)
