// 3D viewer for dental scans: <figure data-mesh-viewer data-models='[{"url", "label", "jaw",
// "format", "group"}]'><figcaption>…</figcaption></figure>.
//
// Renders on demand (only when the camera or a control changes), so an idle page costs nothing.
import {
  Box3,
  Color,
  DirectionalLight,
  DoubleSide,
  Group,
  HemisphereLight,
  Mesh,
  MeshStandardMaterial,
  PerspectiveCamera,
  Scene,
  Vector2,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { PLYLoader } from "three/addons/loaders/PLYLoader.js";
import { STLLoader } from "three/addons/loaders/STLLoader.js";

const BACKGROUND = 0x35414c;
const MODEL_GREY = 0xdcdad5;
const OVERLAY_TINT = 0x5b9bf0;
const JAW_LABELS = { upper: "Upper jaw", lower: "Lower jaw" };
const VIEWS = [
  ["side", "Side by side"],
  ["overlay", "Overlay"],
  ["a", "Only A"],
  ["b", "Only B"],
];

let viewerCounter = 0;

export function enhance(root) {
  const figures = [];
  if (root instanceof Element && root.matches("figure[data-mesh-viewer]")) figures.push(root);
  figures.push(...root.querySelectorAll("figure[data-mesh-viewer]"));
  for (const figure of figures) {
    if (figure.dataset.viewerReady) continue;
    figure.dataset.viewerReady = "true";
    new MeshViewer(figure);
  }
}

function element(tag, attrs = {}, text = null) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== null) el.textContent = text;
  return el;
}

async function fetchBytes(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`the server answered ${response.status}`);
  }
  return response.arrayBuffer();
}

function materialFor(geometry, original) {
  const material = new MeshStandardMaterial({
    color: MODEL_GREY,
    roughness: 0.6,
    metalness: 0,
    side: DoubleSide,
  });
  if (geometry.getAttribute("color")) {
    // Colour scans (PLY/GLB with vertex colours) keep their colours.
    material.vertexColors = true;
    material.color.set(0xffffff);
  }
  if (original && original.map) {
    material.map = original.map;
    material.color.set(0xffffff);
  }
  material.userData.baseColor = material.color.clone();
  return material;
}

async function loadModel(model) {
  const buffer = await fetchBytes(model.url);
  const format = (model.format || model.url.split("?")[0].split(".").pop() || "").toLowerCase();
  const object = new Group();
  if (format === "stl" || format === "ply") {
    const geometry = format === "stl" ? new STLLoader().parse(buffer) : new PLYLoader().parse(buffer);
    if (!geometry.getAttribute("normal")) geometry.computeVertexNormals();
    object.add(new Mesh(geometry, materialFor(geometry, null)));
  } else if (format === "glb" || format === "gltf") {
    const base = new URL(model.url, document.baseURI).href.replace(/[^/]*$/, "");
    const gltf = await new GLTFLoader().parseAsync(buffer, base);
    gltf.scene.traverse((node) => {
      if (node.isMesh) {
        if (!node.geometry.getAttribute("normal")) node.geometry.computeVertexNormals();
        node.material = materialFor(node.geometry, node.material);
      }
    });
    object.add(gltf.scene);
  } else {
    throw new Error(`the format “${format}” is not supported`);
  }
  object.userData = { jaw: model.jaw || "", group: model.group === "b" ? "b" : "a" };
  return object;
}

class MeshViewer {
  constructor(figure) {
    viewerCounter += 1;
    this.id = `mesh-viewer-${viewerCounter}`;
    this.figure = figure;
    try {
      this.models = JSON.parse(figure.dataset.models || "[]");
    } catch {
      this.models = [];
    }
    this.objects = [];
    this.view = "side";
    this.opacity = 1;
    this.hiddenJaws = new Set();
    this.renderQueued = false;
    this.firstFrame = false;

    const caption = figure.querySelector("figcaption");
    const name = caption ? caption.textContent.trim() : "3D model";
    figure.classList.add("mesh-viewer");

    this.status = element("p", { class: "viewer-status", "aria-live": "polite" }, "Loading 3D model…");
    this.stage = element("div", { class: "viewer-stage" });
    this.canvas = element("canvas", {
      role: "img",
      "aria-label": name,
      tabindex: "0",
      "aria-describedby": `${this.id}-hint`,
    });
    this.labelA = element("span", { class: "viewport-label viewport-label-a", "aria-hidden": "true" }, "A");
    this.labelB = element("span", { class: "viewport-label viewport-label-b", "aria-hidden": "true" }, "B");
    this.stage.append(this.canvas, this.labelA, this.labelB);
    const hint = element(
      "p",
      { class: "viewer-hint", id: `${this.id}-hint` },
      "Drag to rotate, right-drag or Shift+drag to pan, scroll to zoom. Keyboard: arrow keys pan, " +
        "Shift+arrow keys rotate, + and − zoom.",
    );
    this.controlsBox = element("div", { class: "viewer-controls" });
    this.controlsBox.hidden = true;
    if (caption) caption.before(this.status, this.stage, this.controlsBox, hint);
    else figure.append(this.status, this.stage, this.controlsBox, hint);

    try {
      this.renderer = new WebGLRenderer({ canvas: this.canvas, antialias: true });
    } catch {
      this.showError("The 3D view needs WebGL, which this browser does not offer.");
      this.stage.hidden = true;
      return;
    }
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(new Color(BACKGROUND));
    this.scene = new Scene();
    this.scene.add(new HemisphereLight(0xffffff, 0x8d8a85, 1.4));
    this.headlight = new DirectionalLight(0xffffff, 1.5);
    this.scene.add(this.headlight, this.headlight.target);
    this.camera = new PerspectiveCamera(35, 1, 0.1, 5000);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.listenToKeyEvents(this.canvas);
    this.controls.keyPanSpeed = 20;
    this.controls.addEventListener("change", () => this.requestRender());
    this.canvas.addEventListener("keydown", (event) => this.onKey(event));

    new ResizeObserver(() => this.resize()).observe(this.stage);
    this.load();
  }

  showError(message) {
    this.status.textContent = message;
    this.status.classList.add("error");
    this.status.hidden = false;
  }

  async load() {
    if (this.models.length === 0) {
      this.showError("There is no 3D model to show.");
      return;
    }
    const results = await Promise.allSettled(this.models.map((model) => loadModel(model)));
    const errors = [];
    results.forEach((result, index) => {
      const label = this.models[index].label || `Model ${index + 1}`;
      if (result.status === "fulfilled") {
        result.value.userData.label = label;
        this.objects.push(result.value);
        this.scene.add(result.value);
      } else {
        errors.push(`Could not load “${label}”: ${result.reason && result.reason.message ? result.reason.message : "unknown error"}.`);
      }
    });
    if (errors.length) this.showError(errors.join(" "));
    else this.status.hidden = true;
    if (this.objects.length === 0) {
      this.stage.hidden = true;
      return;
    }
    this.buildControls();
    this.frame();
    this.apply();
    this.resize();
    this.renderNow();
  }

  groups() {
    return new Set(this.objects.map((o) => o.userData.group));
  }

  buildControls() {
    const box = this.controlsBox;
    const jaws = ["upper", "lower"].filter((jaw) => this.objects.some((o) => o.userData.jaw === jaw));
    if (jaws.length) {
      const fieldset = element("fieldset", { class: "viewer-jaws" });
      fieldset.append(element("legend", {}, "Show"));
      for (const jaw of jaws) {
        const id = `${this.id}-jaw-${jaw}`;
        const input = element("input", { type: "checkbox", id, checked: "" });
        input.addEventListener("change", () => {
          if (input.checked) this.hiddenJaws.delete(jaw);
          else this.hiddenJaws.add(jaw);
          this.apply();
        });
        const label = element("label", { for: id, class: "choice" });
        label.append(input, document.createTextNode(` ${JAW_LABELS[jaw]}`));
        fieldset.append(label);
      }
      box.append(fieldset);
    }

    const opacityId = `${this.id}-opacity`;
    const opacityField = element("div", { class: "viewer-field" });
    const opacity = element("input", {
      type: "range",
      id: opacityId,
      min: "10",
      max: "100",
      step: "5",
      value: "100",
      "aria-valuetext": "100 %",
    });
    opacity.addEventListener("input", () => {
      this.opacity = Number(opacity.value) / 100;
      opacity.setAttribute("aria-valuetext", `${opacity.value} %`);
      this.apply();
    });
    opacityField.append(element("label", { for: opacityId }, "Opacity"), opacity);
    box.append(opacityField);

    const groups = this.groups();
    if (groups.has("a") && groups.has("b")) {
      const viewId = `${this.id}-view`;
      const viewField = element("div", { class: "viewer-field" });
      const select = element("select", { id: viewId });
      for (const [value, text] of VIEWS) select.append(element("option", { value }, text));
      select.value = this.view;
      select.addEventListener("change", () => {
        this.view = select.value;
        this.apply();
      });
      viewField.append(element("label", { for: viewId }, "View"), select);
      box.append(viewField);
    } else {
      this.view = groups.has("b") ? "b" : "a";
    }

    const reset = element("button", { type: "button", class: "small" }, "Reset view");
    reset.addEventListener("click", () => {
      this.frame();
      this.requestRender();
    });
    box.append(reset);
    box.hidden = false;
  }

  // Frame the camera on the bounding box of all models.
  frame() {
    const box = new Box3();
    for (const object of this.objects) box.expandByObject(object);
    const center = box.getCenter(new Vector3());
    const size = box.getSize(new Vector3());
    const radius = Math.max(size.length() / 2, 1e-3);
    const distance = radius / Math.sin((this.camera.fov * Math.PI) / 360);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.camera.position.copy(center).add(new Vector3(0, -0.35, 1).normalize().multiplyScalar(distance * 1.1));
    this.camera.up.set(0, 1, 0);
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(center);
    this.controls.update();
  }

  // Apply visibility, opacity and tint from the controls.
  apply() {
    this.figure.dataset.view = this.view;
    const overlay = this.view === "overlay";
    for (const object of this.objects) {
      const { jaw, group } = object.userData;
      let visible = !this.hiddenJaws.has(jaw);
      if (this.view === "a" || this.view === "b") visible = visible && group === this.view;
      object.userData.jawVisible = !this.hiddenJaws.has(jaw);
      object.visible = visible;
      const tinted = overlay && group === "b";
      const opacity = tinted ? this.opacity * 0.6 : this.opacity;
      object.traverse((node) => {
        if (!node.isMesh) return;
        const material = node.material;
        material.color.copy(tinted ? new Color(OVERLAY_TINT) : material.userData.baseColor);
        material.opacity = opacity;
        material.transparent = opacity < 1;
        material.depthWrite = opacity >= 1;
        material.needsUpdate = true;
      });
    }
    const side = this.view === "side";
    this.labelA.hidden = !side;
    this.labelB.hidden = !side;
    this.requestRender();
  }

  resize() {
    if (!this.renderer) return;
    const width = Math.max(1, this.stage.clientWidth);
    const height = Math.max(1, this.stage.clientHeight);
    this.renderer.setSize(width, height, false);
    this.requestRender();
  }

  onKey(event) {
    const scale = event.key === "+" || event.key === "=" ? 0.85 : event.key === "-" || event.key === "_" ? 1 / 0.85 : null;
    if (scale === null) return;
    event.preventDefault();
    const offset = this.camera.position.clone().sub(this.controls.target).multiplyScalar(scale);
    this.camera.position.copy(this.controls.target).add(offset);
    this.controls.update();
  }

  requestRender() {
    if (this.renderQueued || !this.objects.length) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.renderNow();
    });
  }

  renderNow() {
    const renderer = this.renderer;
    const size = renderer.getDrawingBufferSize(new Vector2());
    const pixelRatio = renderer.getPixelRatio();
    const width = size.x / pixelRatio;
    const height = size.y / pixelRatio;
    this.headlight.position.copy(this.camera.position);
    this.headlight.target.position.copy(this.controls.target);
    const groups = this.groups();
    if (this.view === "side" && groups.has("a") && groups.has("b")) {
      // Two viewports, one camera: the views stay in step whatever the user does.
      const half = Math.floor(width / 2);
      this.camera.aspect = half / height;
      this.camera.updateProjectionMatrix();
      renderer.setScissorTest(true);
      for (const [group, x, w] of [["a", 0, half], ["b", half, width - half]]) {
        for (const object of this.objects) object.visible = object.userData.group === group && object.userData.jawVisible;
        renderer.setViewport(x, 0, w, height);
        renderer.setScissor(x, 0, w, height);
        renderer.render(this.scene, this.camera);
      }
      renderer.setScissorTest(false);
      for (const object of this.objects) object.visible = object.userData.jawVisible;
    } else {
      this.camera.aspect = width / height;
      this.camera.updateProjectionMatrix();
      renderer.setViewport(0, 0, width, height);
      renderer.render(this.scene, this.camera);
    }
    if (!this.firstFrame) {
      this.firstFrame = true;
      this.figure.dataset.firstFrameMs = String(Math.round(performance.now()));
      this.figure.dataset.rendered = "true";
    }
  }
}
