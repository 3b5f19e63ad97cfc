// FDI tooth chart: <fieldset class="tooth-chart" data-tooth-chart>, a server-rendered grid of
// <label class="tooth" data-fdi="11"><input type="checkbox" name="teeth" value="11">…</label>
// in .tooth-chart__jaw[data-jaw] rows of .tooth-chart__quadrant (screen order; the primary teeth
// in a <details>). Without this script it is a plain checkbox grid that posts the same values.
//
// - Each dentition (permanent; primary, inside the <details>) is one tab stop: the first checked
//   tooth, else the first tooth. ArrowLeft/Right move along the jaw row, ArrowUp/Down to the same
//   column of the other jaw, Home/End to the row's ends (Ctrl+Home/End: the chart's). Space
//   toggles (native checkbox); Shift+click or Shift+Space sets the range in the row from the last
//   toggled tooth to this one.
// - [data-tooth-chart-summary data-prefix="Selected:" data-empty="No tooth selected"] lists the
//   checked teeth by FDI number.
// - A chart with data-tooth-chart-pontics-for="<id of a chart>" enables only the teeth checked
//   there (unchecking one there unchecks and disables it here). The server validates anyway.
// - [data-show-for="bridge implant_bar"] is shown only while the <select> named
//   "restoration_type" (or "<prefix>-restoration_type" in a formset) of its scope has one of
//   those values; the scope is the nearest [data-restoration-item], else the form.
import "./toothchart.css";

const CHART = "[data-tooth-chart]";
const TOOTH_INPUT = 'label.tooth input[type="checkbox"]';
const ROW = ".tooth-chart__jaw";
const NAV_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"]);
const SHOW_FOR = "[data-show-for]";
const TYPE_SELECT = 'select[name="restoration_type"], select[name$="-restoration_type"]';
const ITEM_SCOPE = "[data-restoration-item]";
const scopeOf = (element) => element.closest(ITEM_SCOPE) || element.closest("form");

const anchors = new WeakMap(); // chart → the last toggled input (for Shift ranges)
let shiftSpace = null; // the input Shift+Space was pressed on, until its click
let installed = false;

export function enhance(root = document) {
  install();
  for (const chart of within(root, CHART)) {
    if (!chart.classList.contains("is-enhanced")) setUp(chart);
  }
  for (const pontics of document.querySelectorAll("[data-tooth-chart-pontics-for]")) {
    syncPontics(pontics);
  }
  const scopes = new Set();
  for (const element of [...within(root, SHOW_FOR), ...within(root, TYPE_SELECT)]) {
    const scope = scopeOf(element);
    if (scope) scopes.add(scope);
  }
  for (const scope of scopes) updateShowFor(scope);
}

function within(root, selector) {
  const scope = root && root.querySelectorAll ? root : document;
  const found = [...scope.querySelectorAll(selector)];
  if (scope instanceof Element && scope.matches(selector)) found.unshift(scope);
  return found;
}

// --- structure ---------------------------------------------------------------------------------

function setUp(chart) {
  chart.classList.add("is-enhanced");
  for (const label of chart.querySelectorAll("label.tooth")) {
    label.classList.add(`tooth--${toothKind(label)}`);
  }
  wrapArches(chart);
  updateSummary(chart);
  resetTabStops(chart);
}

// FDI: quadrants 1–4 permanent (x1–x2 incisors, x3 canine, x4–x5 premolars, x6–x8 molars),
// 5–8 primary (x4–x5 molars).
function toothKind(label) {
  const fdi = String(label.dataset.fdi || label.querySelector("input")?.value || "");
  const quadrant = Number(fdi[0]);
  const position = Number(fdi[1]);
  if (position <= 2) return "incisor";
  if (position === 3) return "canine";
  if (quadrant >= 5 || position >= 6) return "molar";
  return "premolar";
}

// The jaws of one dentition go into one horizontal scroll box, so on a narrow screen the upper
// and lower rows scroll together and their columns stay aligned.
function wrapArches(chart) {
  const parents = new Set([...chart.querySelectorAll(ROW)].map((row) => row.parentElement));
  for (const parent of parents) {
    if (parent.classList.contains("tooth-chart__arch")) continue;
    const rows = [...parent.children].filter((child) => child.matches(ROW));
    const arch = document.createElement("div");
    arch.className = "tooth-chart__arch";
    parent.insertBefore(arch, rows[0]);
    arch.append(...rows);
  }
}

const inputsOf = (element) => [...element.querySelectorAll(TOOTH_INPUT)];
const enabled = (inputs) => inputs.filter((input) => !input.disabled);
const dentitionOf = (element) => element.closest(`details, ${CHART}`);

// The teeth of one dentition (the chart's own rows hold the permanent teeth, the <details> the
// primary ones).
function teethOf(dentition) {
  return inputsOf(dentition).filter((input) => dentitionOf(input) === dentition);
}

function rowsOf(dentition) {
  return [...dentition.querySelectorAll(ROW)].filter((row) => dentitionOf(row) === dentition);
}

function dentitionsOf(chart) {
  return [...new Set([...chart.querySelectorAll(ROW)].map(dentitionOf))];
}

function chartInput(target) {
  if (!(target instanceof HTMLInputElement) || !target.matches(TOOTH_INPUT)) return null;
  const chart = target.closest(CHART);
  return chart && chart.classList.contains("is-enhanced") ? chart : null;
}

// --- roving tabindex ---------------------------------------------------------------------------

// Not while focus is inside a dentition: there the focused tooth is the tab stop.
function resetTabStops(chart) {
  for (const dentition of dentitionsOf(chart)) {
    if (!dentition.contains(document.activeElement)) resetDentition(dentition, chart);
  }
}

function resetDentition(dentition, chart) {
  const teeth = teethOf(dentition);
  const candidates = enabled(teeth);
  const stop = candidates.find((input) => input.checked) || candidates[0] || null;
  for (const input of teeth) input.tabIndex = input === stop ? 0 : -1;
  // A scroll box must be reachable by keyboard even when none of its teeth is.
  for (const arch of dentition.querySelectorAll(".tooth-chart__arch")) {
    if (dentitionOf(arch) !== dentition) continue;
    if (stop) {
      arch.removeAttribute("tabindex");
      arch.removeAttribute("role");
      arch.removeAttribute("aria-labelledby");
      continue;
    }
    arch.tabIndex = 0;
    arch.setAttribute("role", "group");
    const legend = chart.querySelector("legend");
    if (legend) {
      if (!legend.id) legend.id = `${chart.id || "tooth-chart"}-legend`;
      arch.setAttribute("aria-labelledby", legend.id);
    }
  }
}

function rove(dentition, focused) {
  for (const input of teethOf(dentition)) input.tabIndex = input === focused ? 0 : -1;
}

function neighbour(input, key, ctrlKey) {
  const row = input.closest(ROW);
  const teeth = inputsOf(row);
  const index = teeth.indexOf(input);
  const rows = rowsOf(dentitionOf(row));
  const rowIndex = rows.indexOf(row);
  const firstEnabled = (list) => list.find((t) => !t.disabled);
  const lastEnabled = (list) => firstEnabled([...list].reverse());
  switch (key) {
    case "ArrowLeft":
      return lastEnabled(teeth.slice(0, index));
    case "ArrowRight":
      return firstEnabled(teeth.slice(index + 1));
    case "Home":
      return ctrlKey ? firstEnabled(rows.flatMap(inputsOf)) : firstEnabled(teeth);
    case "End":
      return ctrlKey ? lastEnabled(rows.flatMap(inputsOf)) : lastEnabled(teeth);
    case "ArrowUp":
    case "ArrowDown": {
      const other = rows[rowIndex + (key === "ArrowUp" ? -1 : 1)];
      if (!other) return null;
      // The same column, else the nearest enabled tooth of that row.
      const candidates = inputsOf(other);
      let best = null;
      candidates.forEach((candidate, i) => {
        if (candidate.disabled) return;
        if (!best || Math.abs(i - index) < Math.abs(best.i - index)) best = { i, candidate };
      });
      return best ? best.candidate : null;
    }
    default:
      return null;
  }
}

// --- selection ---------------------------------------------------------------------------------

function setChecked(input, checked) {
  if (input.disabled || input.checked === checked) return;
  input.checked = checked;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

function toggled(input, range) {
  const chart = input.closest(CHART);
  const anchor = anchors.get(chart);
  anchors.set(chart, input);
  if (!range || !anchor || anchor === input || !anchor.isConnected) return;
  const row = input.closest(ROW);
  if (anchor.closest(ROW) !== row) return;
  const teeth = inputsOf(row);
  const [from, to] = [teeth.indexOf(anchor), teeth.indexOf(input)].sort((a, b) => a - b);
  for (const tooth of teeth.slice(from, to + 1)) {
    if (tooth !== input) setChecked(tooth, input.checked);
  }
}

function updateSummary(chart) {
  const summary = chart.querySelector("[data-tooth-chart-summary]");
  if (!summary) return;
  const numbers = inputsOf(chart)
    .filter((input) => input.checked)
    .map((input) => input.value)
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const text = numbers.length
    ? `${summary.dataset.prefix || "Selected:"} ${numbers.join(", ")}`
    : summary.dataset.empty || "No tooth selected";
  if (summary.textContent !== text) summary.textContent = text;
}

function syncPontics(pontics) {
  const source = document.getElementById(pontics.dataset.toothChartPonticsFor);
  if (!source) return;
  const chosen = new Set(inputsOf(source).filter((i) => i.checked).map((i) => i.value));
  for (const input of inputsOf(pontics)) {
    const allowed = chosen.has(input.value);
    if (!allowed && input.checked) {
      input.checked = false;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    input.disabled = !allowed;
  }
  if (pontics.contains(document.activeElement) && document.activeElement.disabled) {
    document.activeElement.blur();
  }
  updateSummary(pontics);
  if (pontics.classList.contains("is-enhanced")) resetTabStops(pontics);
}

function updateShowFor(scope) {
  const select = [...scope.querySelectorAll(TYPE_SELECT)].find((s) => scopeOf(s) === scope);
  if (!select) return;
  for (const element of scope.querySelectorAll(SHOW_FOR)) {
    if (scopeOf(element) !== scope) continue; // another restoration's field
    const values = element.dataset.showFor.split(/\s+/).filter(Boolean);
    element.hidden = !values.includes(select.value);
  }
}

function refreshAfterChange(chart) {
  updateSummary(chart);
  if (chart.id) {
    for (const pontics of document.querySelectorAll("[data-tooth-chart-pontics-for]")) {
      if (pontics.dataset.toothChartPonticsFor === chart.id) syncPontics(pontics);
    }
  }
}

// --- events (delegated, so charts swapped in by htmx work too) ---------------------------------

function install() {
  if (installed) return;
  installed = true;

  document.addEventListener("keydown", (event) => {
    const chart = chartInput(event.target);
    if (!chart) return;
    const input = event.target;
    if (event.key === " ") {
      shiftSpace = event.shiftKey ? input : null;
      return;
    }
    shiftSpace = null;
    if (!NAV_KEYS.has(event.key) || event.altKey || event.metaKey) return;
    event.preventDefault(); // no page scrolling, even at the row's end
    const next = neighbour(input, event.key, event.ctrlKey);
    if (next && next !== input) {
      rove(dentitionOf(input), next);
      next.focus();
    }
  });

  document.addEventListener("click", (event) => {
    const chart = chartInput(event.target);
    if (!chart) return;
    const input = event.target;
    // Keyboard clicks have detail 0; Chrome copies the Shift state to them, others may not.
    const range = event.shiftKey || (event.detail === 0 && shiftSpace === input);
    shiftSpace = null;
    toggled(input, range);
  });

  document.addEventListener("change", (event) => {
    const element = event.target;
    if (element instanceof HTMLSelectElement && element.matches(TYPE_SELECT)) {
      const scope = scopeOf(element);
      if (scope) updateShowFor(scope);
      return;
    }
    const chart = chartInput(element);
    if (chart) refreshAfterChange(chart);
  });

  document.addEventListener("focusin", (event) => {
    const chart = chartInput(event.target);
    if (!chart) return;
    rove(dentitionOf(event.target), event.target);
  });

  document.addEventListener("focusout", (event) => {
    const chart = chartInput(event.target);
    if (!chart) return;
    const dentition = dentitionOf(event.target);
    if (event.relatedTarget instanceof Node && dentition.contains(event.relatedTarget)) return;
    // Leaving the dentition: its tab stop goes back to the first checked tooth.
    resetDentition(dentition, chart);
  });

  // <button type="reset">: the form resets after this event, so look afterwards.
  document.addEventListener("reset", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    setTimeout(() => {
      for (const chart of form.querySelectorAll(CHART)) {
        if (chart.classList.contains("is-enhanced")) refreshAfterChange(chart);
      }
      for (const scope of new Set([form, ...form.querySelectorAll(ITEM_SCOPE)])) {
        updateShowFor(scope);
      }
    });
  });
}
