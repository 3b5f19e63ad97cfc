// <a data-lightbox href="full.jpg"><img src="thumb.png" alt="…"></a>: the full image in a modal
// <dialog>. Esc or the close button closes it and focus goes back to the link; the arrow keys
// step through the [data-lightbox] links of the same [data-lightbox-group].
let dialog = null;
let image = null;
let caption = null;
let current = null;

export function enhance() {
  if (dialog) return;
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = event.target instanceof Element ? event.target.closest("a[data-lightbox]") : null;
    if (!link) return;
    event.preventDefault();
    open(link);
  });
  build();
}

function build() {
  dialog = document.createElement("dialog");
  dialog.className = "lightbox";
  dialog.setAttribute("aria-labelledby", "lightbox-caption");
  const figure = document.createElement("figure");
  image = document.createElement("img");
  image.decoding = "async";
  caption = document.createElement("figcaption");
  caption.id = "lightbox-caption";
  figure.append(image, caption);

  const close = document.createElement("button");
  close.type = "button";
  close.className = "lightbox-close small";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());

  const nav = document.createElement("div");
  nav.className = "lightbox-nav";
  const previous = navButton("Previous image", -1);
  const next = navButton("Next image", 1);
  nav.append(previous, next);

  dialog.append(close, figure, nav);
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") step(1, event);
    else if (event.key === "ArrowLeft") step(-1, event);
  });
  // A click on the backdrop (outside the content) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    const link = current;
    current = null;
    image.removeAttribute("src");
    if (link && link.isConnected) link.focus();
  });
  document.body.append(dialog);
}

function navButton(label, direction) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = label;
  button.addEventListener("click", (event) => step(direction, event));
  return button;
}

function siblings(link) {
  const group = link.closest("[data-lightbox-group]");
  return group ? Array.from(group.querySelectorAll("a[data-lightbox]")) : [link];
}

function show(link) {
  current = link;
  const thumb = link.querySelector("img");
  const alt = thumb ? thumb.getAttribute("alt") || "" : link.textContent.trim();
  image.src = link.href;
  image.alt = alt;
  const all = siblings(link);
  const position = all.length > 1 ? ` (${all.indexOf(link) + 1} of ${all.length})` : "";
  caption.textContent = (alt || "Image") + position;
  dialog.querySelector(".lightbox-nav").hidden = all.length < 2;
}

function open(link) {
  show(link);
  if (!dialog.open) dialog.showModal();
}

function step(direction, event) {
  if (!current) return;
  const all = siblings(current);
  if (all.length < 2) return;
  event.preventDefault();
  const index = (all.indexOf(current) + direction + all.length) % all.length;
  show(all[index]);
}
