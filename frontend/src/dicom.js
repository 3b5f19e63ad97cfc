// DICOM viewer (dwv): <figure data-dicom-viewer data-url="…" data-name="series.zip">.
// The URL returns a ZIP of a series or a single DICOM file; we fetch it ourselves (same-origin
// credentials, a clear message on 404) and hand dwv a File it recognises by its name: dwv reads
// ZIPs itself (JSZip). Three views (axial, coronal, sagittal) share position and window/level.
import { App, AppOptions, ToolConfig, ViewConfig, WindowLevel } from "dwv";

const ORIENTATIONS = [
  ["axial", "Axial"],
  ["coronal", "Coronal"],
  ["sagittal", "Sagittal"],
];
// Window centre / width in Hounsfield units (for CT and CBCT); "Default" is what the file says.
const PRESETS = [
  ["default", "Default", null],
  ["bone", "Bone", { center: 500, width: 2000 }],
  ["soft", "Soft tissue", { center: 40, width: 400 }],
];
const TOOLS = [
  ["WindowLevel", "Adjust window/level"],
  ["Scroll", "Scroll through slices"],
  ["ZoomAndPan", "Zoom and pan"],
];

let dicomCounter = 0;

export function enhance(root) {
  const figures = [];
  if (root instanceof Element && root.matches("figure[data-dicom-viewer]")) figures.push(root);
  figures.push(...root.querySelectorAll("figure[data-dicom-viewer]"));
  for (const figure of figures) {
    if (figure.dataset.viewerReady) continue;
    figure.dataset.viewerReady = "true";
    new DicomViewer(figure);
  }
}

function element(tag, attrs = {}, text = null) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== null) el.textContent = text;
  return el;
}

function isZip(bytes) {
  const b = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  return b.length === 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6);
}

class DicomViewer {
  constructor(figure) {
    dicomCounter += 1;
    this.id = `dicom-viewer-${dicomCounter}`;
    this.figure = figure;
    this.url = figure.dataset.url;
    this.name = figure.dataset.name || "DICOM series";
    this.sliders = new Map();
    this.defaultWindowLevel = null;
    figure.classList.add("dicom-viewer");
    const caption = figure.querySelector("figcaption");
    const title = caption ? caption.textContent.trim() : this.name;

    this.status = element("p", { class: "viewer-status", "aria-live": "polite" }, "Loading images…");
    this.controlsBox = element("div", { class: "viewer-controls" });
    this.controlsBox.hidden = true;
    this.grid = element("div", { class: "dicom-grid" });
    for (const [orientation, label] of ORIENTATIONS) {
      const view = element("div", { class: "dicom-view" });
      const groupId = `${this.id}-${orientation}`;
      const layerGroup = element("div", {
        id: groupId,
        class: "dicom-layer-group",
        role: "img",
        tabindex: "0",
        "aria-label": `${label} view of ${title}`,
        "aria-describedby": `${this.id}-hint`,
      });
      const sliderId = `${groupId}-slice`;
      const slider = element("input", { type: "range", id: sliderId, min: "0", max: "0", step: "1", value: "0" });
      slider.addEventListener("input", () => this.goToSlice(orientation, Number(slider.value)));
      this.sliders.set(orientation, slider);
      const field = element("div", { class: "viewer-field dicom-slice" });
      field.append(element("label", { for: sliderId }, `${label} slice`), slider);
      view.append(element("p", { class: "dicom-view-title", "aria-hidden": "true" }, label), layerGroup, field);
      // Wheel and arrow keys move through the slices of that view, whatever the drag tool.
      view.addEventListener(
        "wheel",
        (event) => {
          if (!this.app) return;
          event.preventDefault();
          event.stopPropagation();
          this.stepSlice(orientation, event.deltaY > 0 ? 1 : -1);
        },
        { capture: true, passive: false },
      );
      layerGroup.addEventListener("keydown", (event) => {
        const step = { ArrowUp: 1, ArrowRight: 1, PageUp: 5, ArrowDown: -1, ArrowLeft: -1, PageDown: -5 }[event.key];
        if (step === undefined) return;
        event.preventDefault();
        this.stepSlice(orientation, step);
      });
      this.grid.append(view);
    }
    const hint = element(
      "p",
      { class: "viewer-hint", id: `${this.id}-hint` },
      "Scroll or use the arrow keys to move through the slices; drag to use the chosen tool.",
    );
    if (caption) caption.before(this.status, this.controlsBox, this.grid, hint);
    else figure.append(this.status, this.controlsBox, this.grid, hint);

    this.load();
  }

  showError(message) {
    this.status.textContent = message;
    this.status.classList.add("error");
    this.status.hidden = false;
  }

  async load() {
    let bytes;
    try {
      const response = await fetch(this.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      bytes = await response.arrayBuffer();
    } catch (error) {
      this.showError(`Could not load the images: ${error.message}.`);
      this.grid.hidden = true;
      return;
    }
    const zip = isZip(bytes);
    const file = new File([bytes], zip ? "series.zip" : "image.dcm", {
      type: zip ? "application/zip" : "application/dicom",
    });

    const configs = ORIENTATIONS.map(([orientation]) => {
      const config = new ViewConfig(`${this.id}-${orientation}`);
      config.orientation = orientation;
      return config;
    });
    const options = new AppOptions({ "*": configs });
    options.tools = Object.fromEntries(TOOLS.map(([name]) => [name, new ToolConfig()]));
    const app = new App();
    app.init(options);
    app.setLayerGroupsBinders(["WindowLevelBinder", "PositionBinder"]);
    this.app = app;

    let failed = false;
    app.addEventListener("error", (event) => {
      failed = true;
      const detail = event && event.error && event.error.message ? `: ${event.error.message}` : "";
      this.showError(`These images could not be read${detail}.`);
    });
    app.addEventListener("load", () => {
      if (failed) return;
      app.setTool("WindowLevel");
      this.status.hidden = true;
      const layer = this.layerFor("axial");
      if (layer) this.defaultWindowLevel = layer.getViewController().getWindowLevel();
      this.buildControls();
      this.syncSliders();
    });
    app.addEventListener("renderend", () => {
      if (this.figure.dataset.rendered) return;
      this.figure.dataset.firstFrameMs = String(Math.round(performance.now()));
      this.figure.dataset.rendered = "true";
    });
    app.addEventListener("positionchange", () => this.syncSliders());
    new ResizeObserver(() => {
      if (this.figure.dataset.rendered) app.fitToContainer();
    }).observe(this.grid);
    app.loadFiles([file]);
  }

  layerGroup(orientation) {
    return this.app ? this.app.getLayerGroupByDivId(`${this.id}-${orientation}`) : undefined;
  }

  layerFor(orientation) {
    const group = this.layerGroup(orientation);
    return group ? group.getActiveViewLayer() : undefined;
  }

  buildControls() {
    const box = this.controlsBox;
    box.replaceChildren();
    const presetId = `${this.id}-preset`;
    const preset = element("select", { id: presetId });
    for (const [value, text] of PRESETS) preset.append(element("option", { value }, text));
    preset.addEventListener("change", () => this.applyPreset(preset.value));
    const presetField = element("div", { class: "viewer-field" });
    presetField.append(element("label", { for: presetId }, "Window/level"), preset);

    const toolId = `${this.id}-tool`;
    const tool = element("select", { id: toolId });
    for (const [value, text] of TOOLS) tool.append(element("option", { value }, text));
    tool.addEventListener("change", () => this.app.setTool(tool.value));
    const toolField = element("div", { class: "viewer-field" });
    toolField.append(element("label", { for: toolId }, "Drag to"), tool);

    const reset = element("button", { type: "button", class: "small" }, "Reset view");
    reset.addEventListener("click", () => {
      preset.value = "default";
      this.app.resetDisplay();
      this.applyPreset("default");
    });
    box.append(presetField, toolField, reset);
    box.hidden = false;
  }

  applyPreset(name) {
    const preset = PRESETS.find(([value]) => value === name);
    let windowLevel = this.defaultWindowLevel;
    if (preset && preset[2]) windowLevel = new WindowLevel(preset[2].center, preset[2].width);
    if (!windowLevel) return;
    for (const [orientation] of ORIENTATIONS) {
      const layer = this.layerFor(orientation);
      if (layer) layer.getViewController().setWindowLevel(windowLevel);
    }
    this.figure.dataset.preset = name;
  }

  syncSliders() {
    for (const [orientation, label] of ORIENTATIONS) {
      const layer = this.layerFor(orientation);
      const slider = this.sliders.get(orientation);
      if (!layer || !slider) continue;
      const helper = layer.getViewController().getPositionHelper();
      const max = helper.getMaximumScrollValue();
      const value = helper.getCurrentPositionScrollValue();
      slider.max = String(max);
      slider.value = String(value);
      slider.disabled = max < 1;
      slider.setAttribute("aria-valuetext", `${label} slice ${value + 1} of ${max + 1}`);
    }
  }

  goToSlice(orientation, value) {
    const layer = this.layerFor(orientation);
    if (!layer) return;
    const helper = layer.getViewController().getPositionHelper();
    helper.setCurrentPositionSafe(helper.getCurrentPositionAtScrollValue(value));
  }

  stepSlice(orientation, step) {
    const slider = this.sliders.get(orientation);
    if (!slider) return;
    const value = Math.min(Number(slider.max), Math.max(0, Number(slider.value) + step));
    if (value !== Number(slider.value)) this.goToSlice(orientation, value);
  }
}
