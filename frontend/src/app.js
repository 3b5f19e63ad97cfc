// DentalBridge site-wide script: htmx + small progressive enhancements.
// Loaded as <script type="module" src="{% static 'app.js' %}">; no inline
// scripts anywhere, so the site can run under script-src 'self'.
import htmx from "htmx.org";
import "./app.css";
import "./styles.css";

// CSP: htmx would otherwise inject an inline <style> for .htmx-indicator
// (blocked by style-src 'self'); those rules belong in styles.css instead.
// It also would evaluate hx-on / js: expressions, which need 'unsafe-eval'.
// A <meta name="htmx-config"> in the page can still override these.
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
window.htmx = htmx;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : null;
}

// Send Django's CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", (event) => {
  const token = csrfToken();
  if (token) {
    event.detail.headers["X-CSRFToken"] = token;
  }
});

// (a) <button data-copy="#selector" data-copied-label="Copied">
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  event.preventDefault();
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.dataset.copiedLabel;
    if (!label) return;
    if (button.dataset.originalLabel === undefined) {
      button.dataset.originalLabel = button.textContent;
    }
    button.textContent = label;
    clearTimeout(button._copyTimer);
    button._copyTimer = setTimeout(() => {
      button.textContent = button.dataset.originalLabel;
      delete button.dataset.originalLabel;
    }, 2000);
  }).catch(() => {
    /* clipboard denied: leave the button as is */
  });
});

// (b) <form data-confirm="Are you sure?">
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const message = form.dataset.confirm;
  if (message && !form._resubmitting && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// (d) A form that saves itself through htmx as one types (hx-post) and is also posted as a page
// ("Add a restoration", "Send"): the page's post must reach the server after an autosave already
// on its way, and no autosave may follow it (it would carry the form as it was and undo the
// click). So the post waits for the autosave's answer, and the form autosaves no more.
const autosavesInFlight = new WeakMap();
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.detail.elt;
  if (form instanceof HTMLFormElement && form.dataset.posting === "true") event.preventDefault();
});
document.addEventListener("htmx:beforeSend", (event) => {
  const form = event.detail.elt;
  if (form instanceof HTMLFormElement) {
    autosavesInFlight.set(form, (autosavesInFlight.get(form) || 0) + 1);
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement) || !autosavesInFlight.has(form)) return;
  const left = Math.max(0, autosavesInFlight.get(form) - 1);
  autosavesInFlight.set(form, left);
  if (left === 0 && form._heldPost) {
    const { submitter } = form._heldPost;
    form._heldPost = null;
    form._resubmitting = true;
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    form._resubmitting = false;
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("hx-post")) return;
  if (event.defaultPrevented || typeof form.requestSubmit !== "function") return;
  form.dataset.posting = "true";
  if ((autosavesInFlight.get(form) || 0) > 0) {
    event.preventDefault();
    form._heldPost = { submitter: event.submitter };
  }
});
// (e) A refusal the server explains (its one error path marks it with X-Error-Code: a 409 when
// the order was sent meanwhile, a 403, …) takes the place of the answer in the request's target,
// so the page says what happened; htmx would otherwise drop any 4xx without a word.
document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr } = event.detail;
  if (xhr.status >= 400 && xhr.getResponseHeader("X-Error-Code")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// Back to a page kept in the browser's memory: its form autosaves again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-posting]").forEach((form) => {
    delete form.dataset.posting;
  });
});

// (c) <select data-autosubmit> submits its form on change.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-autosubmit")) return;
  const form = select.form;
  if (!form) return;
  // requestSubmit() fires the submit event (so data-confirm and htmx apply).
  if (typeof form.requestSubmit === "function") {
    form.requestSubmit();
  } else {
    form.submit();
  }
});

// Elements only needed without JS (e.g. the submit button next to an
// autosubmit <select>) are hidden once this script runs.
function hideNoJsElements(root) {
  const scope = root && root.querySelectorAll ? root : document;
  if (scope instanceof Element && scope.hasAttribute("data-js-hide")) {
    scope.hidden = true;
  }
  scope.querySelectorAll("[data-js-hide]").forEach((el) => {
    el.hidden = true;
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => hideNoJsElements(document));
} else {
  hideNoJsElements(document);
}
// Also for content swapped in by htmx.
document.addEventListener("htmx:load", (event) => hideNoJsElements(event.target));

// Widgets, each loaded (dynamic import → dist/chunks/*.js, resolved relative to app.js) only
// when its element is on the page, so a page without a viewer never downloads three.js or dwv.
const WIDGETS = [
  ["form[data-uploader]", () => import("./uploader.js")],
  ["figure[data-mesh-viewer]", () => import("./viewer3d.js")],
  ["figure[data-dicom-viewer]", () => import("./dicom.js")],
  ["a[data-lightbox]", () => import("./lightbox.js")],
  ["[data-tooth-chart], [data-show-for]", () => import("./toothchart.js")],
];

function enhanceWidgets(root) {
  const scope = root && root.querySelectorAll ? root : document;
  for (const [selector, load] of WIDGETS) {
    const found = (scope instanceof Element && scope.matches(selector)) || scope.querySelector(selector);
    if (!found) continue;
    load()
      .then((module) => module.enhance(scope))
      .catch((error) => console.error(`DentalBridge: could not load the widget for ${selector}`, error));
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => enhanceWidgets(document));
} else {
  enhanceWidgets(document);
}
document.addEventListener("htmx:load", (event) => enhanceWidgets(event.target));
