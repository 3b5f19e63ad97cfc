// Resumable uploads (tus) for <form data-uploader data-endpoint="/files/tus/" data-chunk-size="…">.
//
// Per file: SHA-256 of the whole file first (sent as `sha256` in Upload-Metadata, so the server
// can check what it received), then the tus upload in chunks. An interrupted upload resumes after
// a reload (tus-js-client keeps the upload URL in localStorage, keyed by the file's fingerprint).
import { Upload } from "tus-js-client";
import { sha256Hex } from "./hashing.js";

const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
// 4xx answers are final (the server said no), except these, which mean "not now".
const RETRYABLE_4XX = new Set([409, 423, 429]);
const MB = 1024 * 1024;

export function enhance(root) {
  const forms = [];
  if (root instanceof Element && root.matches("form[data-uploader]")) forms.push(root);
  forms.push(...root.querySelectorAll("form[data-uploader]"));
  for (const form of forms) {
    if (form.dataset.uploaderReady) continue;
    form.dataset.uploaderReady = "true";
    new Uploader(form);
  }
}

function csrfToken() {
  const cookie = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / 1024 / MB).toFixed(2)} GB`;
}

function serverMessage(error) {
  const response = error && error.originalResponse;
  if (!response) return null;
  try {
    const body = JSON.parse(response.getBody() || "");
    if (body && body.error && body.error.message) return String(body.error.message);
  } catch {
    /* not JSON: fall through to the generic message */
  }
  return null;
}

function element(tag, attrs = {}, text = null) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== null) el.textContent = text;
  return el;
}

class Uploader {
  constructor(form) {
    this.form = form;
    this.endpoint = form.dataset.endpoint;
    this.chunkSize = Number.parseInt(form.dataset.chunkSize, 10) || 32 * MB;
    this.input = form.querySelector('input[type="file"]');
    this.list = form.querySelector("[data-upload-list]");
    if (!this.list) {
      this.list = element("ul", { "data-upload-list": "", "aria-live": "polite" });
      form.append(this.list);
    }
    this.list.classList.add("upload-list");
    this.items = new Set();
    this.dragDepth = 0;
    form.classList.add("uploader");

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const files = Array.from(this.input ? this.input.files : []);
      if (files.length === 0) {
        if (this.input) this.input.focus();
        return;
      }
      for (const file of files) this.add(file);
      if (this.input) this.input.value = "";
    });

    // The whole form is a drop zone: dropped files go through the same submit path (so the
    // form's own validation applies to the other fields).
    form.addEventListener("dragenter", (event) => {
      if (!this.hasFiles(event)) return;
      event.preventDefault();
      this.dragDepth += 1;
      form.classList.add("is-dragover");
    });
    form.addEventListener("dragover", (event) => {
      if (!this.hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    });
    form.addEventListener("dragleave", () => {
      this.dragDepth = Math.max(0, this.dragDepth - 1);
      if (this.dragDepth === 0) form.classList.remove("is-dragover");
    });
    form.addEventListener("drop", (event) => {
      event.preventDefault();
      this.dragDepth = 0;
      form.classList.remove("is-dragover");
      const files = event.dataTransfer ? event.dataTransfer.files : null;
      if (!files || files.length === 0 || !this.input) return;
      this.input.files = files;
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.dispatchEvent(new Event("submit", { cancelable: true }));
    });
  }

  hasFiles(event) {
    const types = event.dataTransfer ? Array.from(event.dataTransfer.types || []) : [];
    return types.length === 0 || types.includes("Files");
  }

  metadataFor(file) {
    const metadata = {};
    for (const [name, value] of new FormData(this.form).entries()) {
      if (typeof value !== "string" || name === "csrfmiddlewaretoken") continue;
      metadata[name] = value;
    }
    metadata.filename = file.name;
    metadata.filetype = file.type || "application/octet-stream";
    return metadata;
  }

  add(file) {
    const item = new UploadItem(this, file, this.metadataFor(file));
    this.items.add(item);
    this.list.append(item.li);
    item.begin();
  }

  finished(item) {
    this.form.dispatchEvent(
      new CustomEvent("upload:done", {
        bubbles: true,
        detail: { url: item.upload ? item.upload.url : null, name: item.file.name },
      }),
    );
    this.settled();
  }

  settled() {
    const busy = Array.from(this.items).some((i) => ["hashing", "uploading", "paused"].includes(i.state));
    const anyDone = Array.from(this.items).some((i) => i.state === "done");
    const allDone = Array.from(this.items).every((i) => i.state === "done" || i.state === "cancelled");
    if (busy || !allDone || !anyDone) return;
    const targetSelector = this.form.dataset.doneTarget;
    if (targetSelector && window.htmx && document.querySelector(targetSelector)) {
      window.htmx.ajax("GET", window.location.href, {
        target: targetSelector,
        select: targetSelector,
        swap: "outerHTML",
      });
    } else if (this.form.hasAttribute("data-reload-on-done")) {
      window.location.reload();
    }
  }
}

let itemCounter = 0;

class UploadItem {
  constructor(uploader, file, metadata) {
    this.uploader = uploader;
    this.file = file;
    this.metadata = metadata;
    this.upload = null;
    this.hashAbort = null;
    this.state = "hashing";
    itemCounter += 1;
    const id = `upload-${itemCounter}`;

    this.li = element("li", { class: "upload-item", "data-state": "hashing" });
    const head = element("div", { class: "upload-head" });
    head.append(
      element("span", { class: "upload-name", id: `${id}-name` }, file.name),
      element("span", { class: "upload-size" }, formatSize(file.size)),
    );
    this.progress = element("progress", {
      max: "100",
      value: "0",
      "aria-labelledby": `${id}-label ${id}-name`,
    });
    const label = element("span", { class: "visually-hidden", id: `${id}-label` }, "Progress of");
    this.status = element("span", { class: "upload-status" }, "Waiting…");
    this.pauseButton = element("button", { type: "button", class: "small" }, "Pause");
    this.cancelButton = element("button", { type: "button", class: "small danger" }, "Cancel");
    this.pauseButton.setAttribute("aria-describedby", `${id}-name`);
    this.cancelButton.setAttribute("aria-describedby", `${id}-name`);
    const actions = element("div", { class: "upload-actions" });
    actions.append(this.pauseButton, this.cancelButton);
    this.li.append(head, label, this.progress, this.status, actions);

    this.pauseButton.addEventListener("click", () => (this.state === "paused" ? this.resume() : this.pause()));
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  setState(state, text) {
    this.state = state;
    this.li.dataset.state = state;
    if (text !== undefined) this.status.textContent = text;
    const active = state === "hashing" || state === "uploading" || state === "paused";
    this.pauseButton.hidden = !(state === "uploading" || state === "paused");
    this.pauseButton.textContent = state === "paused" ? "Resume" : "Pause";
    this.cancelButton.hidden = !active;
  }

  setProgress(fraction) {
    this.progress.value = Math.round(fraction * 1000) / 10;
  }

  async begin() {
    this.upload = new Upload(this.file, {
      endpoint: this.uploader.endpoint,
      chunkSize: this.uploader.chunkSize,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      metadata: this.metadata,
      onBeforeRequest: (request) => {
        const token = csrfToken();
        if (token) request.setHeader("X-CSRFToken", token);
      },
      onShouldRetry: (error) => {
        const status = error && error.originalResponse ? error.originalResponse.getStatus() : 0;
        if (status >= 400 && status < 500) return RETRYABLE_4XX.has(status);
        return true;
      },
      onProgress: (sent, total) => this.onProgress(sent, total),
      onSuccess: () => {
        this.setProgress(1);
        this.setState("done", "Uploaded — checking…");
        this.uploader.finished(this);
      },
      onError: (error) => {
        const message = serverMessage(error) || "The upload failed. Check your connection and try again.";
        this.setState("error", message);
        this.li.classList.add("has-error");
      },
    });

    // A file interrupted earlier (e.g. by a reload) continues where it stopped; the server
    // already has its checksum from the creation request, so it is not hashed again.
    let previous = [];
    try {
      previous = await this.upload.findPreviousUploads();
    } catch {
      previous = [];
    }
    if (this.state === "cancelled") return;
    if (previous.length > 0) {
      this.upload.resumeFromPreviousUpload(previous[0]);
      this.startUpload("Resuming…");
      return;
    }

    this.setState("hashing", "Checking file… 0 %");
    this.hashAbort = new AbortController();
    try {
      this.metadata.sha256 = await sha256Hex(this.file, {
        signal: this.hashAbort.signal,
        onProgress: (fraction) => {
          this.setProgress(fraction);
          this.status.textContent = `Checking file… ${Math.floor(fraction * 100)} %`;
        },
      });
    } catch (error) {
      if (this.state !== "cancelled") this.setState("error", "This file could not be read.");
      if (error && error.name !== "AbortError") console.error(error);
      return;
    } finally {
      this.hashAbort = null;
    }
    if (this.state === "cancelled") return;
    this.upload.options.metadata = this.metadata;
    this.setProgress(0);
    this.startUpload("Starting…");
  }

  startUpload(text) {
    this.lastSample = { time: performance.now(), bytes: null };
    this.rate = null;
    this.setState("uploading", text);
    this.upload.start();
  }

  onProgress(sent, total) {
    const fraction = total > 0 ? sent / total : 0;
    this.setProgress(fraction);
    const now = performance.now();
    const last = this.lastSample;
    if (last.bytes !== null && now > last.time) {
      const instant = (sent - last.bytes) / ((now - last.time) / 1000);
      this.rate = this.rate === null ? instant : this.rate * 0.7 + instant * 0.3;
    }
    this.lastSample = { time: now, bytes: sent };
    const speed = this.rate === null ? "" : ` · ${(this.rate / MB).toFixed(1)} MB/s`;
    if (this.state === "uploading") {
      this.status.textContent = `${Math.floor(fraction * 100)} %${speed}`;
    }
  }

  pause() {
    if (this.state !== "uploading") return;
    this.upload.abort(false);
    this.setState("paused", `Paused at ${Math.floor(this.progress.value)} %`);
  }

  resume() {
    if (this.state !== "paused") return;
    this.startUpload("Resuming…");
  }

  cancel() {
    const wasHashing = this.state === "hashing";
    this.setState("cancelled", "Cancelled");
    this.li.classList.add("is-cancelled");
    if (wasHashing && this.hashAbort) {
      this.hashAbort.abort();
      return;
    }
    if (this.upload) {
      // Terminate: the server deletes what it has received so far.
      this.upload.abort(true).catch(() => {
        /* the server may already have dropped it; the item is cancelled either way */
      });
    }
    this.uploader.settled();
  }
}
