// deltagrad's live lab: the one ES module behind every viz widget (anywidget's render({ model, el })).
//
// Python holds the truth: every number drawn here (data, δ, frames, boundary, optimiser state) arrives
// in the model's traits, and the learner's actions go back as messages ({ action: ... }) or trait changes
// (probe, lr, speed, playing, frame). Graphs are laid out by Graphviz compiled to WebAssembly
// (@viz-js/viz), which reaches the page once, from the kernel's one GraphvizWasm model (or, in a saved
// page, from the page itself), and is instantiated once per page.
// `replay(el, record, vizBase64)` drives the same views from recorded frames, with no kernel.

const GRAPHVIZ = Symbol.for("deltagrad.graphviz");

// Text sent gzipped as base64 (the Graphviz module, a recording), unpacked with the browser's DecompressionStream.
function gunzipBase64(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

function loadGraphviz(gzipBase64Source) {
  if (!globalThis[GRAPHVIZ]) {
    globalThis[GRAPHVIZ] = gunzipBase64(gzipBase64Source)
      .then((source) => import(URL.createObjectURL(new Blob([source], { type: "text/javascript" }))))
      .then((module) => module.instance());
  }
  return globalThis[GRAPHVIZ];
}

async function graphvizFor(model) {
  if (globalThis[GRAPHVIZ]) return globalThis[GRAPHVIZ];
  if (model.graphvizSource) return loadGraphviz(model.graphvizSource);
  const ref = model.get("renderer");
  const wasm = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
  return loadGraphviz(wasm.get("source_gzip_base64"));
}

// ------------------------------------------------------------------ small helpers
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) el.append(c);
  return el;
}

function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return x !== 0 && (a < 10 ** -digits || a >= 1e6) ? x.toExponential(digits - 1) : x.toFixed(digits);
}

const SVGNS = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// δ's sign and size as a fill: blue for δ > 0, red for δ < 0, stronger for larger |δ| (relative to the largest).
function deltaFill(delta, largest) {
  if (!largest || !delta) return "#ffffff";
  const t = Math.sqrt(Math.min(1, Math.abs(delta) / largest));
  const [r, g, b] = delta > 0 ? [33, 102, 172] : [178, 24, 43];
  const mix = (c) => Math.round(255 + (c - 255) * (0.08 + 0.55 * t));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

// The node and edge statements of DOT source as the graphviz package writes it (one per line), in order:
// { name: "v12" or "v12->o13", attrs: "[label=<...> ...]" }.
const STATEMENT = /^\s*([A-Za-z_]\w*)(?:\s*->\s*([A-Za-z_]\w*))?\s*(\[.*\])?\s*$/;
const KEYWORDS = new Set(["graph", "node", "edge", "digraph", "subgraph"]);

function statements(dot) {
  const out = [];
  for (const line of dot.split("\n")) {
    const m = STATEMENT.exec(line);
    if (!m || KEYWORDS.has(m[1])) continue;
    out.push({ name: m[2] ? `${m[1]}->${m[2]}` : m[1], attrs: m[3] || "" });
  }
  return out;
}

// A statement's label as the text runs Graphviz draws, one SVG <text> each ("w", "[1]", "11", "data 0.5000").
const ENTITY = /&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi;
const NAMED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const unescape = (text) =>
  text.replace(ENTITY, (_, dec, hex, name) =>
    name ? NAMED[name.toLowerCase()] : String.fromCodePoint(dec ? Number(dec) : parseInt(hex, 16)),
  );

function labelPieces(attrs) {
  const at = attrs.indexOf("label=<");
  if (at < 0) {
    const quoted = /label="((?:[^"\\]|\\.)*)"/.exec(attrs);
    return quoted ? [quoted[1]] : [];
  }
  let depth = 0;
  let end = at + 6;
  for (; end < attrs.length; end++) {
    if (attrs[end] === "<") depth++;
    else if (attrs[end] === ">" && --depth === 0) break;
  }
  const markup = attrs.slice(at + 7, end);
  return markup.split(/<[^>]*>/).filter((piece) => piece.trim()).map(unescape);
}

// Graphviz-WASM has no fonts: it sizes text with built-in metrics, Helvetica's only for the plain name (a list
// such as "Helvetica,Arial,sans-serif" falls back to the narrower Times). Lay out with Helvetica's metrics; the
// stylesheet draws the text in Helvetica or its metric twins (Arial, Liberation Sans).
const FONT_LIST = /fontname="?Helvetica,Arial,sans-serif"?/g;
const SETTLE_MS = 400;
const shapeOf = (dot) => dot.replace(/-?\d+(?:\.\d+)?(?:e[+-]\d+)?/g, "#"); // the graph without numbers and ids

function layOut(box, viz, dot) {
  let svg;
  try {
    svg = viz.renderSVGElement(dot.replace(FONT_LIST, "fontname=Helvetica"));
  } catch (e) {
    box.replaceChildren(h("pre", { class: "dg-error" }, `Graphviz could not lay out this graph: ${e.message}`));
    box.dgLayout = null;
    return false;
  }
  const items = adopt(box, svg);
  box.dgLayout = { shape: shapeOf(dot), names: statements(dot).map((st) => st.name), items };
  return true;
}

// Put a laid-out graph's SVG into `box` and make its nodes answer clicks (box.dgOptions: onSelect, onEdit);
// returns its nodes and edges by title.
function adopt(box, svg) {
  svg.classList.add("dg-svg");
  box.replaceChildren(svg);
  const items = new Map();
  for (const g of svg.querySelectorAll("g.node, g.edge")) items.set(g.querySelector("title")?.textContent, g);
  for (const g of svg.querySelectorAll("g.node")) {
    g.addEventListener("click", () => {
      const { editable, onEdit, onSelect, blocks, onBlock } = box.dgOptions;
      const name = g.querySelector("title").textContent;
      if (onSelect && /^v\d+$/.test(name)) onSelect(name); // a value: show how its δ came to be
      if (blocks && onBlock && name in blocks) onBlock(blocks[name]); // a layer's block: expand it
      if (editable && onEdit && name in editable) onEdit(editable[name]);
    });
  }
  for (const g of svg.querySelectorAll("g.cluster")) {
    g.addEventListener("click", (event) => {
      const { clusters, onBlock } = box.dgOptions;
      const name = g.querySelector("title")?.textContent;
      if (clusters && onBlock && name in clusters && !event.target.closest("g.node")) onBlock(clusters[name]);
    });
  }
  return items;
}

// A picture Graphviz's own `dot` already drew (a page saved where it was installed): shown as it is.
function drawRendered(box, svgText, { onSelect = null, selected = null } = {}) {
  box.dgOptions = { deltas: null, editable: null, onEdit: null, onSelect, selected };
  clearTimeout(box.dgSettle);
  const svg = new DOMParser().parseFromString(svgText, "image/svg+xml").documentElement;
  adopt(box, document.importNode(svg, true));
  box.dgLayout = null; // no DOT here: the next DOT graph is laid out afresh
  decorate(box);
}

// The edge classes (e12_0: input 0 of node 12) of an edge statement, which a derivation's terms light up.
const EDGE_CLASS = /class="?(e\d+_\d+)/;
function edgeClass(attrs) {
  const m = EDGE_CLASS.exec(attrs);
  return m ? m[1] : null;
}

// The same graph with new numbers (a training step, a new weight): Graphviz's layout is kept and only the texts
// change, which is what lets the lab redraw many times a second; a full layout follows once the numbers settle.
function updateTexts(box, dot) {
  const layout = box.dgLayout;
  if (!layout || layout.shape !== shapeOf(dot)) return false;
  const fresh = statements(dot);
  if (fresh.length !== layout.names.length) return false;
  const changes = [];
  for (let i = 0; i < fresh.length; i++) {
    const g = layout.items.get(layout.names[i]);
    if (!g) continue;
    const pieces = labelPieces(fresh[i].attrs);
    const texts = g.querySelectorAll("text");
    if (pieces.length && pieces.length !== texts.length) return false;
    changes.push([g, fresh[i].name, pieces, texts, fresh[i].attrs]);
  }
  const items = new Map();
  for (const [g, name, pieces, texts, attrs] of changes) {
    g.querySelector("title").textContent = name;
    items.set(name, g);
    if (g.classList.contains("edge")) g.setAttribute("class", ["edge", edgeClass(attrs)].filter(Boolean).join(" "));
    pieces.forEach((piece, k) => {
      if (texts[k].textContent !== piece) texts[k].textContent = piece;
    });
  }
  layout.names = fresh.map((st) => st.name);
  layout.items = items;
  return true;
}

function decorate(box) {
  const { deltas, editable, selected, blocks, clusters } = box.dgOptions;
  const largest = deltas ? Math.max(0, ...Object.values(deltas).map(Math.abs)) : 0;
  for (const g of box.querySelectorAll("svg g.node")) {
    const name = g.querySelector("title")?.textContent;
    if (deltas && name in deltas) {
      for (const shape of g.querySelectorAll("polygon, ellipse, path")) {
        if (shape.getAttribute("fill") && shape.getAttribute("fill") !== "none") {
          shape.setAttribute("fill", deltaFill(deltas[name], largest));
        }
      }
    }
    g.classList.toggle("dg-editable", Boolean(editable && name in editable));
    g.classList.toggle("dg-block", Boolean(blocks && name in blocks));
    g.classList.toggle("dg-selected", name === selected);
  }
  for (const g of box.querySelectorAll("svg g.cluster")) {
    g.classList.toggle("dg-foldable", Boolean(clusters && g.querySelector("title")?.textContent in clusters));
  }
}

// A node's δ derivation (Python's Derivation.to_dict()) as MathML under the graph; hovering a term lights up the
// edge it travels along, and the node itself is outlined.
function showDerivation(panel, graphBox, derivation) {
  if (!derivation || !derivation.html) {
    panel.replaceChildren();
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  panel.innerHTML = derivation.html; // built by viz.derivation from escaped names and numbers
  panel.setAttribute("data-node", derivation.node);
  panel.title = derivation.text;
  const light = (edge, on) => {
    for (const g of graphBox.querySelectorAll(`g.edge.${edge}`)) g.classList.toggle("dg-lit", on);
    for (const t of panel.querySelectorAll(`[data-edge="${edge}"]`)) t.classList.toggle("dg-lit", on);
  };
  for (const term of panel.querySelectorAll("[data-edge]")) {
    term.addEventListener("mouseenter", () => light(term.dataset.edge, true));
    term.addEventListener("mouseleave", () => light(term.dataset.edge, false));
  }
}

// Draw `dot` into `box`: value nodes coloured by δ, parameter nodes clickable (onEdit(editable[name])).
// A big network's layer view: `blocks` maps each block's node, `clusters` an expanded layer's frame, to the block's
// index; onBlock(index) expands or folds it.
function drawGraph(box, viz, dot, { deltas = null, editable = null, onEdit = null, onSelect = null, selected = null,
  blocks = null, clusters = null, onBlock = null } = {}) {
  box.dgOptions = { deltas, editable, onEdit, onSelect, selected, blocks, clusters, onBlock };
  clearTimeout(box.dgSettle);
  if (updateTexts(box, dot)) {
    box.dgSettle = setTimeout(() => layOut(box, viz, dot) && decorate(box), SETTLE_MS);
  } else if (!layOut(box, viz, dot)) {
    return;
  }
  decorate(box);
}

// The bar where a learner types a new value for a parameter or a leaf.
function makeEditor(onSet) {
  const label = h("b");
  const input = h("input", { type: "number", step: "any", class: "dg-edit-value", "aria-label": "new value" });
  let target = null;
  const close = () => {
    editor.hidden = true;
    target = null;
  };
  const submit = (event) => {
    event.preventDefault();
    const value = parseFloat(input.value);
    if (target !== null && Number.isFinite(value)) onSet(target, value);
    close();
  };
  const editor = h(
    "form",
    { class: "dg-editor", hidden: true, onsubmit: submit },
    "set ",
    label,
    " = ",
    input,
    h("button", { type: "submit", class: "dg-edit-set" }, "Set"),
    h("button", { type: "button", class: "dg-edit-cancel", onclick: close }, "Cancel"),
  );
  input.addEventListener("keydown", (event) => {
    event.stopPropagation(); // typing here is not a notebook shortcut (Enter, Escape, digits)
    if (event.key === "Enter") submit(event);
    else if (event.key === "Escape") close();
  });
  editor.open = (key, name, value) => {
    target = key;
    label.textContent = name;
    input.value = value;
    editor.hidden = false;
    input.focus();
    input.select();
  };
  return editor;
}

// ------------------------------------------------------------------ graph view
function renderGraph(model, el) {
  const box = h("div", { class: "dg-graph" }, "laying out the graph…");
  el.append(h("div", { class: "dg-widget dg-graph-view" }, box));
  const draw = async () => drawGraph(box, await graphvizFor(model), model.get("dot"));
  model.on("change:dot", draw);
  draw();
  return () => model.off("change:dot", draw);
}

// ------------------------------------------------------------------ explore
function renderExplore(model, el) {
  const replaying = Boolean(model.replaying);
  const leavesBox = h("div", { class: "dg-leaves" });
  const caption = h("p", { class: "dg-caption" });
  const output = h("span", { class: "dg-status" });
  const error = h("p", { class: "dg-error" });
  const box = h("div", { class: "dg-graph" }, "laying out the graph…");
  const setFrame = (i) => {
    const n = model.get("frames").length;
    model.set("frame", Math.max(-1, Math.min(n - 1, i)));
    model.save_changes();
  };
  let timer = null;
  const play = h("button", { type: "button", class: "dg-play" }, "▶ Play backward");
  const stopPlaying = () => {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶ Play backward";
  };
  play.addEventListener("click", () => {
    if (timer) return stopPlaying();
    play.textContent = "❚❚ Pause";
    if (model.get("frame") >= model.get("frames").length - 1) setFrame(-1);
    timer = setInterval(() => {
      const next = model.get("frame") + 1;
      if (next >= model.get("frames").length) stopPlaying();
      else setFrame(next);
    }, 900);
  });
  const toolbar = h(
    "div",
    { class: "dg-toolbar" },
    h("button", { type: "button", class: "dg-back", onclick: () => setFrame(model.get("frame") - 1) }, "◀"),
    h("button", { type: "button", class: "dg-step", onclick: () => setFrame(model.get("frame") + 1) }, "Step backward ▶"),
    play,
    h("button", { type: "button", class: "dg-all", onclick: () => setFrame(-1) }, "Whole graph"),
    output,
  );
  const derivationPanel = h("div", { class: "dg-derivation", hidden: true });
  const hint = "click a value to see how its δ came to be (while stepping: the terms arrived so far)";
  el.append(h("div", { class: "dg-widget dg-explore" }, leavesBox, toolbar, caption, error, derivationPanel, box, h("p", { class: "dg-hint" }, hint)));
  let replaySelected = null; // a saved page has no kernel: it answers from the recorded forms
  const select = (node) => {
    if (replaying) (replaySelected = node), draw();
    else model.send({ action: "derive", node });
  };

  let pending = false;
  const sendLeaf = (name, value) => {
    if (replaying || !Number.isFinite(value)) return;
    pending = true;
    model.send({ action: "set_leaf", name, value });
  };
  const buildLeaves = () => {
    leavesBox.replaceChildren(
      ...model.get("leaves").map((leaf) => {
        const range = h("input", {
          type: "range", min: leaf.min, max: leaf.max, step: leaf.step, value: leaf.value,
          class: "dg-leaf-range", "data-leaf": leaf.name, "aria-label": leaf.name, disabled: replaying,
        });
        const number = h("input", {
          type: "number", step: "any", value: leaf.value, class: "dg-leaf-value", "data-leaf": leaf.name,
          "aria-label": `${leaf.name} value`, disabled: replaying,
        });
        range.addEventListener("input", () => {
          number.value = range.value;
          if (!pending) sendLeaf(leaf.name, parseFloat(range.value));
        });
        range.addEventListener("change", () => sendLeaf(leaf.name, parseFloat(range.value)));
        number.addEventListener("change", () => sendLeaf(leaf.name, parseFloat(number.value)));
        number.addEventListener("keydown", (event) => {
          event.stopPropagation(); // typing here is not a notebook shortcut
          if (event.key === "Enter") sendLeaf(leaf.name, parseFloat(number.value));
        });
        return h("label", { class: "dg-leaf" }, h("b", {}, leaf.name), range, number);
      }),
    );
  };
  const draw = async () => {
    pending = false;
    const viz = await graphvizFor(model);
    const frames = model.get("frames");
    const i = model.get("frame");
    const frame = i >= 0 && i < frames.length ? frames[i] : null;
    caption.textContent = frame ? frame.caption : "";
    const grads = Object.entries(model.get("grads")).map(([k, g]) => `∂out/∂${k} = ${fmt(g)}`);
    output.textContent = `out = ${fmt(model.get("output"))}; ${grads.join(", ")}`;
    error.textContent = model.get("error") || "";
    // the selected node's derivation as it stands at the frame shown (every term once the pass is done)
    const chosen = replaying ? replaySelected : (model.get("derivation") || {}).node;
    const atFrame = derivationAt(model.get("frame_derivations"), chosen, frame ? i : Infinity);
    const derivation = atFrame || (replaying ? {} : model.get("derivation") || {});
    drawGraph(box, viz, frame ? frame.dot : model.get("dot"), { onSelect: select, selected: derivation.node });
    showDerivation(derivationPanel, box, derivation);
  };
  const onLeaves = () => {
    if (!leavesBox.contains(document.activeElement)) buildLeaves();
  };
  model.on("change:leaves", onLeaves);
  model.on("change:dot", draw);
  model.on("change:frame", draw);
  model.on("change:error", draw);
  model.on("change:derivation", draw);
  buildLeaves();
  draw();
  return () => {
    stopPlaying();
    model.off("change:leaves", onLeaves);
    model.off("change:dot", draw);
    model.off("change:frame", draw);
    model.off("change:error", draw);
    model.off("change:derivation", draw);
  };
}

// ------------------------------------------------------------------ backward, step by step
// viz.backward_steps(...) as a slider: in Jupyter (StepsView) and on a saved page, the frames' DOT laid out here,
// one at a time (or, on a page saved where `dot` was installed, the SVG it drew). A click on a value shows its δ derivation as it stands at the frame shown: the terms
// δ(reader)·∂reader/∂node whose reader backward has reached (the others pending, "?"), then the whole sum.
// Every form arrives with the frames (BackwardSteps.explanations), so no kernel is asked.
function derivationAt(derivations, node, index) {
  const entry = node && derivations ? derivations[node] : null;
  if (!entry) return null;
  const arrived = entry.arrivals.filter((k) => k <= index).length; // readers come first: a prefix of the terms
  return entry.forms[arrived];
}

function renderSteps(model, el) {
  const steps = model.get("steps");
  const caption = h("p", { class: "dg-caption" });
  const counter = h("span", { class: "dg-status dg-counter" });
  const slider = h("input", {
    type: "range", min: 0, max: steps.length - 1, step: 1, value: 0, class: "dg-step-range", "aria-label": "step",
  });
  const box = h("div", { class: "dg-graph" }, "laying out the graph…");
  const derivationPanel = h("div", { class: "dg-derivation", hidden: true });
  const hasDerivations = Object.keys(model.get("derivations") || {}).length > 0;
  let index = 0;
  let selected = null;
  const show = async (i) => {
    index = Math.max(0, Math.min(steps.length - 1, i));
    slider.value = index;
    counter.textContent = `${index + 1} / ${steps.length}`;
    caption.innerHTML = steps[index].caption; // html_markup's text: escaped, with <sub>/<sup>
    const onSelect = hasDerivations ? (node) => ((selected = node), show(index)) : null;
    if (steps[index].svg) {
      drawRendered(box, steps[index].svg, { onSelect, selected }); // dot's own picture
    } else {
      const shown = index;
      const viz = await graphvizFor(model);
      if (shown !== index) return; // a later frame was asked for meanwhile
      drawGraph(box, viz, steps[index].dot, { onSelect, selected });
    }
    showDerivation(derivationPanel, box, derivationAt(model.get("derivations"), selected, index));
  };
  slider.addEventListener("input", () => show(+slider.value));
  const toolbar = h(
    "div",
    { class: "dg-toolbar" },
    h("button", { type: "button", class: "dg-back", onclick: () => show(index - 1) }, "◀"),
    slider,
    h("button", { type: "button", class: "dg-step", onclick: () => show(index + 1) }, "▶"),
    counter,
  );
  const hint = hasDerivations ? "click a value to see how its δ comes to be, term by term as backward goes" : "";
  el.append(h("div", { class: "dg-widget dg-steps" }, toolbar, caption, derivationPanel, box, h("p", { class: "dg-hint" }, hint)));
  show(0);
  return () => {};
}

// ------------------------------------------------------------------ lab
const CLASS_COLOURS = ["#e6862e", "#2c7bb6", "#4daf4a", "#984ea3", "#e41a1c", "#a65628", "#f781bf", "#999999"];

function hexRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// An activation as a colour, TensorFlow Playground's way: blue where a > 0, orange where a < 0, white at 0, full
// colour at |a| ≥ 1 (tanh's whole range; a ReLU beyond 1 saturates).
function activationRgb(v) {
  const t = Math.min(1, Math.abs(v));
  const [r, g, b] = hexRgb(CLASS_COLOURS[v > 0 ? 1 : 0]);
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return [mix(r), mix(g), mix(b)];
}

// A neuron's activation on the n × n grid (row by row from the top) as an n × n picture, which CSS or
// drawImage scales up smoothly.
function activationPicture(n, values) {
  const picture = document.createElement("canvas");
  picture.width = picture.height = n;
  const pixels = new ImageData(n, n);
  values.forEach((v, i) => pixels.data.set([...activationRgb(v), 255], 4 * i));
  picture.getContext("2d").putImageData(pixels, 0, 0);
  return picture;
}

const spaced = (a, b, n) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

// Regression (Python's Lab.curve): the points (x, y), the fitted curve y = model(x) in red, and while a thumbnail
// is hovered that neuron's activation a(x), on the same axes.
function drawRegression(canvas, model, overlay) {
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  const { extent, x: xs, y: ys } = model.get("curve");
  const [x0, x1, y0, y1] = extent;
  const px = (x) => ((x - x0) / (x1 - x0)) * size;
  const py = (y) => ((y1 - y) / (y1 - y0)) * size;
  ctx.clearRect(0, 0, size, size);
  ctx.fillStyle = "#fcfcfc";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#bbb";
  ctx.lineWidth = 1;
  ctx.beginPath(); // the axes, where they are in view
  if (y0 < 0 && y1 > 0) ctx.moveTo(0, py(0)), ctx.lineTo(size, py(0));
  if (x0 < 0 && x1 > 0) ctx.moveTo(px(0), 0), ctx.lineTo(px(0), size);
  ctx.stroke();
  ctx.fillStyle = "#777";
  ctx.font = "10px Helvetica, Arial, sans-serif";
  ctx.fillText(`x ${fmt(x0, 2)} … ${fmt(x1, 2)}, y ${fmt(y0, 2)} … ${fmt(y1, 2)}`, 4, size - 4);
  const trace = (at, values, colour, width) => {
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(px(at[i]), py(v)) : ctx.moveTo(px(at[i]), py(v))));
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  };
  if (overlay) trace(spaced(x0, x1, overlay.values.length), overlay.values, "#555", 2);
  trace(xs, ys, "#c0392b", 2.5);
  const probe = model.get("probe");
  model.get("points").forEach(([x, y], i) => drawPoint(ctx, px(x), py(y), CLASS_COLOURS[1], i === probe));
  drawOverlayTitle(ctx, overlay);
  return { px, py, x0, x1, y0, y1 };
}

// A data point at canvas (cx, cy): a disc of colour `fill`, larger and ringed black when it is the probe; other
// points get a white ring, or a black one when `dark` (over a neuron's colours a white ring would vanish).
function drawPoint(ctx, cx, cy, fill, isProbe, dark = false) {
  ctx.beginPath();
  ctx.arc(cx, cy, isProbe ? 6 : 3.5, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = isProbe ? 3 : 1;
  ctx.strokeStyle = isProbe || dark ? "#000" : "#fff";
  ctx.stroke();
}

// The title of the neuron drawn over the data (a hovered or pinned thumbnail), top left; nothing without one.
function drawOverlayTitle(ctx, overlay) {
  if (!overlay) return;
  ctx.font = "bold 13px Helvetica, Arial, sans-serif";
  ctx.fillStyle = "#222";
  ctx.fillText(overlay.title, 6, 16);
}

// The data panel: the decision boundary (or, while a thumbnail is hovered, that neuron's activation), the
// first layer's zero lines, the points; in regression the fitted curve instead (drawRegression).
function drawData(canvas, model, overlay = null) {
  const curve = model.get("curve");
  if (curve && curve.x) return drawRegression(canvas, model, overlay);
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  ctx.clearRect(0, 0, size, size);
  const boundary = model.get("boundary");
  const points = model.get("points");
  if (!boundary || !boundary.n) {
    ctx.fillText("the decision boundary is drawn for 2-D inputs, the fitted curve for 1-D regression", 10, 20);
    return null;
  }
  const { n, extent, kind, values } = boundary;
  const [x0, x1, y0, y1] = extent;
  ctx.imageSmoothingEnabled = true;
  if (overlay) {
    ctx.drawImage(activationPicture(overlay.n, overlay.values), 0, 0, size, size);
  } else {
    const heat = new ImageData(n, n);
    const [negative, positive] = [hexRgb(CLASS_COLOURS[0]), hexRgb(CLASS_COLOURS[1])];
    values.forEach((v, i) => {
      let rgb;
      let alpha;
      if (kind === "score") {
        rgb = v > 0 ? positive : negative;
        alpha = 40 + 120 * Math.tanh(Math.abs(v));
      } else {
        rgb = hexRgb(CLASS_COLOURS[v % CLASS_COLOURS.length]);
        alpha = 110;
      }
      heat.data.set([...rgb, alpha], 4 * i);
    });
    const small = document.createElement("canvas");
    small.width = small.height = n;
    small.getContext("2d").putImageData(heat, 0, 0);
    ctx.drawImage(small, 0, 0, size, size);
  }
  const px = (x) => ((x - x0) / (x1 - x0)) * size;
  const py = (y) => ((y1 - y) / (y1 - y0)) * size;
  ctx.save();
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "rgba(60,60,60,0.55)";
  for (const [w1, w2, b] of overlay ? [] : model.get("zero_lines")) {
    // w1·x + w2·y + b = 0, drawn across the plot
    ctx.beginPath();
    if (Math.abs(w2) > Math.abs(w1)) {
      ctx.moveTo(px(x0), py(-(w1 * x0 + b) / w2));
      ctx.lineTo(px(x1), py(-(w1 * x1 + b) / w2));
    } else if (w1 !== 0) {
      ctx.moveTo(px(-(w2 * y0 + b) / w1), py(y0));
      ctx.lineTo(px(-(w2 * y1 + b) / w1), py(y1));
    }
    ctx.stroke();
  }
  ctx.restore();
  const probe = model.get("probe");
  points.forEach(([x, y, label], i) => {
    const fill =
      kind === "score"
        ? CLASS_COLOURS[label > 0 ? 1 : 0]
        : CLASS_COLOURS[Math.max(0, Math.round(label)) % CLASS_COLOURS.length];
    drawPoint(ctx, px(x), py(y), fill, i === probe, Boolean(overlay));
  });
  drawOverlayTitle(ctx, overlay);
  return { px, py, x0, x1, y0, y1 };
}

// A neuron's activation a(x) along the x axis as a small picture: a bar from 0 to a(x) at each x, coloured as the
// planes are (blue a > 0, orange a < 0), and the curve over it; vertical range lo..hi.
const CURVE_PICTURE = 64;
function drawActivationCurve(canvas, values, lo, hi) {
  canvas.width = canvas.height = CURVE_PICTURE;
  const ctx = canvas.getContext("2d");
  const n = values.length;
  const px = (i) => (i / (n - 1)) * CURVE_PICTURE;
  const py = (v) => ((hi - v) / (hi - lo)) * CURVE_PICTURE;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, CURVE_PICTURE, CURVE_PICTURE);
  const width = CURVE_PICTURE / (n - 1);
  values.forEach((v, i) => {
    ctx.fillStyle = `rgb(${activationRgb(v).join(",")})`;
    ctx.fillRect(px(i) - width / 2, Math.min(py(0), py(v)), width, Math.abs(py(v) - py(0)));
  });
  ctx.beginPath();
  values.forEach((v, i) => (i ? ctx.lineTo(px(i), py(v)) : ctx.moveTo(px(i), py(v))));
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 3;
  ctx.stroke();
}

// A "^[2]_3"-style name as the lab writes it in HTML: a<sup>[2]</sup><sub>3</sub>.
function unitName(label) {
  const m = /^(\w+)\^\[(\d+)\]_(\w+)$/.exec(label);
  if (!m) return h("span", {}, label);
  return h("span", {}, m[1], h("sup", {}, `[${m[2]}]`), h("sub", {}, m[3]));
}

// The hidden neurons' thumbnails (Python's Lab.thumbnails): one row per layer, one small picture per neuron.
// Hovering one shows it large over the data (onHover(layer, unit), onHover(null) when the pointer leaves); a click
// keeps it there (onPin(layer, unit); `pinned` is [layer, unit] or null, and is outlined).
function drawThumbnails(box, thumbs, { onHover, onPin, pinned }) {
  const layers = (thumbs && thumbs.layers) || [];
  if (!layers.length) {
    box.hidden = true;
    box.replaceChildren();
    box.dgShape = "";
    return;
  }
  box.hidden = false;
  const shape = `${thumbs.kind}:${layers.map((l) => `${l.layer}/${l.values.length}/${l.size}`).join(",")}`;
  if (box.dgShape !== shape) {
    box.dgShape = shape;
    const cells = Math.max(...layers.map((l) => l.values.length));
    box.style.setProperty("--dg-cells", cells);
    const capped = layers.filter((l) => l.values.length < l.size);
    const caption = h(
      "p",
      { class: "dg-thumbs-caption" },
      "hidden neurons ",
      ...layers.flatMap((l, k) => [k ? ", " : "", unitName(`a^[${l.layer}]_i`)]),
      thumbs.kind === "line" ? " (a row each): a(x) over the x axis, blue a > 0, orange a < 0" : " (a row each): blue a > 0, orange a < 0",
      "; hover or click one: over the data",
      capped.length ? `; first ${capped[0].values.length} of ${capped.map((l) => l.size).join(" and ")} neurons shown` : "",
    );
    const rows = layers.map((l, k) =>
      h(
        "div",
        { class: "dg-thumb-row", "data-layer": l.layer },
        ...l.values.map((_, i) => {
          const c = h("canvas", { class: "dg-thumb", "data-layer": l.layer, "data-unit": i, title: l.labels[i] });
          c.addEventListener("mouseenter", () => onHover(k, i));
          c.addEventListener("mouseleave", () => onHover(null));
          c.addEventListener("click", () => onPin(k, i));
          return c;
        }),
      ),
    );
    box.replaceChildren(caption, ...rows);
  }
  layers.forEach((l, k) => {
    const canvases = box.querySelectorAll(`.dg-thumb-row[data-layer="${l.layer}"] canvas`);
    // a curve's vertical range: [-1, 1] (tanh's), widened to the layer's values (a ReLU's may exceed 1)
    const all = l.values.flat();
    const [lo, hi] = [Math.min(-1, ...all), Math.max(1, ...all)];
    l.values.forEach((values, i) => {
      const c = canvases[i];
      c.classList.toggle("dg-pinned", Boolean(pinned && pinned[0] === k && pinned[1] === i));
      c.title = `${l.labels[i]} = ${l.activation}(z): ${fmt(Math.min(...values), 3)} … ${fmt(Math.max(...values), 3)}`;
      if (thumbs.kind === "line") drawActivationCurve(c, values, lo, hi);
      else {
        c.width = c.height = thumbs.n;
        c.getContext("2d").drawImage(activationPicture(thumbs.n, values), 0, 0);
      }
    });
  });
}

function drawCurves(svg, history) {
  const W = 320;
  const H = 120; // short enough that the lab fits 1366 × 768 with two rows of neuron thumbnails (2-8-8-1)
  const pad = 28;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const steps = history.step || [];
  const loss = history.loss || [];
  const acc = (history.accuracy || []).filter((a) => a >= 0);
  const last = Math.max(1, steps[steps.length - 1] || 1);
  const top = Math.max(1e-12, ...loss.filter(Number.isFinite));
  const x = (k) => pad + (k / last) * (W - 2 * pad);
  const y = (v, max) => H - pad / 2 - (v / max) * (H - pad);
  svg.append(s("line", { x1: pad, y1: H - pad / 2, x2: W - pad, y2: H - pad / 2, stroke: "#999" }));
  svg.append(s("line", { x1: pad, y1: pad / 2, x2: pad, y2: H - pad / 2, stroke: "#999" }));
  const line = (vals, max, colour, cls) => {
    if (!vals.length) return;
    const pts = vals.map((v, i) => `${x(steps[i])},${y(Math.max(0, v), max)}`).join(" ");
    svg.append(s("polyline", { points: pts, fill: "none", stroke: colour, "stroke-width": 1.8, class: cls }));
  };
  line(loss, top, "#c0392b", "dg-loss-curve");
  if (acc.length === loss.length) line(acc, 1, "#27ae60", "dg-accuracy-curve");
  const text = (tx, ty, t, colour, anchor = "start") => {
    const el = s("text", { x: tx, y: ty, fill: colour, "font-size": 10, "text-anchor": anchor });
    el.textContent = t;
    svg.append(el);
  };
  text(pad + 4, 12, `loss (max ${fmt(top, 3)})`, "#c0392b");
  if (acc.length) text(W - pad, 12, "accuracy (0–1)", "#27ae60", "end");
  text(W - pad, H - 2, `step ${last}`, "#555", "end");
}

// The network's health (Lab.health: one row per layer, Python's numbers) as four small charts side by side, layers
// along each: activations' mean ± std; saturated (tanh, sigmoid) and dead (ReLU) fractions; the gradient norm
// ‖∂J/∂(W, b)‖ and the last step's update-to-data ratio std(ΔW)/std(W), both on a log scale, the ratio against
// the 1e-3 that Karpathy's lecture calls healthy.
const HEALTH_W = 230;
const HEALTH_H = 96;
function drawHealth(svg, rows) {
  const charts = 4;
  svg.setAttribute("viewBox", `0 0 ${charts * HEALTH_W} ${HEALTH_H}`);
  svg.replaceChildren();
  if (!rows || !rows.length) {
    const note = s("text", { x: 6, y: 16, "font-size": 11, fill: "#777" });
    note.textContent = "the health panel needs numpy and an nn.MLP (or nn.Layer) model";
    svg.append(note);
    return;
  }
  const text = (x, y, t, attrs = {}) => {
    const el = s("text", { x, y, "font-size": 10, fill: "#444", ...attrs });
    el.textContent = t;
    svg.append(el);
    return el;
  };
  const tip = (el, t) => {
    const title = s("title");
    title.textContent = t;
    el.append(title);
    return el;
  };
  const top = 16;
  const bottom = HEALTH_H - 14;
  const n = rows.length;
  // chart k: its own x range, layers spread evenly; y maps [lo, hi] onto the plot's height
  const frame = (k, title, lo, hi, ticks) => {
    const left = k * HEALTH_W + 34;
    const right = (k + 1) * HEALTH_W - 8;
    const x = (i) => left + ((i + 0.5) / n) * (right - left);
    const y = (v) => bottom - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (bottom - top);
    text(k * HEALTH_W + 6, 10, title, { "font-weight": 600, class: "dg-health-title" });
    svg.append(s("line", { x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#bbb" }));
    svg.append(s("line", { x1: left, y1: top, x2: left, y2: bottom, stroke: "#bbb" }));
    for (const [v, label] of ticks) text(left - 3, y(v) + 3, label, { "text-anchor": "end", fill: "#777", "font-size": 9 });
    rows.forEach((r, i) => text(x(i), HEALTH_H - 3, `W[${r.layer}] ${r.activation}`, { "text-anchor": "middle", fill: "#777", "font-size": 9 }));
    return { x, y, width: (right - left) / n };
  };
  const log = (v) => (v > 0 ? Math.log10(v) : null);
  // 1. activations: mean ± std
  const reach = Math.max(1, ...rows.map((r) => Math.abs(r.mean) + r.std));
  const wide = Math.ceil(reach);
  const a = frame(0, "activations a: mean ± std", -wide, wide, [[-wide, String(-wide)], [0, "0"], [wide, String(wide)]]);
  svg.append(s("line", { x1: a.x(0) - a.width / 2, y1: a.y(0), x2: a.x(n - 1) + a.width / 2, y2: a.y(0), stroke: "#eee" }));
  rows.forEach((r, i) => {
    const g = s("g", { class: "dg-health-activation", "data-layer": r.layer, "data-mean": r.mean, "data-std": r.std });
    g.append(s("line", { x1: a.x(i), y1: a.y(r.mean - r.std), x2: a.x(i), y2: a.y(r.mean + r.std), stroke: "#5e35b1", "stroke-width": 2 }));
    g.append(s("circle", { cx: a.x(i), cy: a.y(r.mean), r: 3.5, fill: "#5e35b1" }));
    svg.append(tip(g, `layer ${r.layer} (${r.activation}, ${r.units} units): mean a ${fmt(r.mean, 3)}, std ${fmt(r.std, 3)}`));
  });
  // 2. saturated and dead fractions
  const b = frame(1, "saturated (tanh, σ) · dead (ReLU)", 0, 1, [[0, "0"], [0.5, "50%"], [1, "100%"]]);
  rows.forEach((r, i) => {
    const w = Math.min(14, b.width / 3);
    const bar = (v, dx, colour, cls, what) =>
      svg.append(tip(s("rect", { x: b.x(i) + dx, y: b.y(v), width: w, height: Math.max(0.5, bottom - b.y(v)), fill: colour,
        class: cls, "data-layer": r.layer, "data-value": v }), `layer ${r.layer}: ${(100 * v).toFixed(1)}% ${what}`));
    bar(r.saturated_fraction, -w - 1, "#e6862e", "dg-health-saturated", "of activations saturated");
    bar(r.dead_fraction, 1, "#777", "dg-health-dead", "of units dead");
  });
  // 3. and 4.: log scales
  const logChart = (k, title, key, cls, colour, fixed) => {
    const values = rows.map((r) => log(r[key])).filter((v) => v !== null);
    let lo = Math.floor(Math.min(...values, ...fixed));
    let hi = Math.ceil(Math.max(...values, ...fixed));
    if (hi - lo < 2) hi = lo + 2;
    const c = frame(k, title, lo, hi, [[lo, `1e${lo}`], [hi, `1e${hi}`]]);
    if (k === 3) {
      svg.append(s("line", { x1: c.x(0) - c.width / 2, y1: c.y(-3), x2: c.x(n - 1) + c.width / 2, y2: c.y(-3),
        stroke: "#2e7d32", "stroke-dasharray": "4 3", class: "dg-health-reference" }));
      text(c.x(n - 1) + c.width / 2, c.y(-3) - 2, "1e-3", { "text-anchor": "end", fill: "#2e7d32", "font-size": 9 });
    }
    rows.forEach((r, i) => {
      const v = log(r[key]);
      if (v === null) return;
      svg.append(tip(s("circle", { cx: c.x(i), cy: c.y(v), r: 4, fill: colour, class: cls, "data-layer": r.layer,
        "data-value": r[key] }), `layer ${r.layer}: ${fmt(r[key], 3)}`));
    });
    if (!values.length) text(c.x(0) - c.width / 2 + 4, bottom - 6, "shown after the first step", { fill: "#999", class: "dg-health-none" });
  };
  logChart(2, "gradient ‖∂J/∂(W, b)‖", "grad_norm", "dg-health-grad", "#c0392b", []);
  logChart(3, "update / data (last step)", "update_ratio", "dg-health-ratio", "#2c7bb6", [-4, -2]);
}

function renderLab(model, el) {
  const replaying = Boolean(model.replaying);
  const send = (msg) => model.send(msg);
  const editor = makeEditor((index, value) => send({ action: "set_parameter", index, value }));
  const openEditor = (index) => {
    if (replaying) return;
    const row = model.get("parameters")[index];
    editor.open(index, row.name, row.value);
  };

  const play = h("button", { type: "button", class: "dg-play" }, "▶ Play");
  const lr = h("input", { type: "number", step: "any", min: 0, class: "dg-lr", "aria-label": "learning rate",
    disabled: replaying,
  });
  const speed = h("input", {
    type: "number", step: "any", min: 0.5, max: 60, class: "dg-speed", "aria-label": "steps per second",
  });
  const status = h("span", { class: "dg-status" });
  const error = h("p", { class: "dg-error" });
  const toolbar = h(
    "div",
    { class: "dg-toolbar" },
    play,
    h("button", { type: "button", class: "dg-step", onclick: () => send({ action: "step" }) }, "Step"),
    h("button", { type: "button", class: "dg-reset", onclick: () => send({ action: "reset" }) }, "Reset"),
    h("label", {}, "learning rate ", lr),
    h("label", {}, "speed ", speed, " steps/s"),
    status,
  );
  const canvas = h("canvas", { width: 320, height: 320, class: "dg-data", title: "click a point to probe it" });
  // What a click on the data does: probe a point, add a point of the chosen class, or remove a point.
  let clickMode = "probe";
  const regression = () => Boolean((model.get("curve") || {}).x);
  let currentClass = 0;
  const modeSelect = h(
    "select",
    { class: "dg-click-mode", "aria-label": "a click on the data", disabled: replaying },
    h("option", { value: "probe" }, "probe a point"),
    h("option", { value: "add" }, "add a point"),
    h("option", { value: "remove" }, "remove a point"),
  );
  modeSelect.addEventListener("change", () => {
    clickMode = modeSelect.value;
    canvas.title = { probe: "click a point to probe it", add: "click to add a point", remove: "click a point to remove it" }[clickMode];
  });
  const classBox = h("span", { class: "dg-classes" });
  const drawClasses = () => {
    const n = model.get("classes");
    classBox.hidden = !n;
    classBox.replaceChildren(
      ...CLASS_COLOURS.map((colour, c) => {
        const b = h(
          "button",
          { type: "button", class: "dg-class" + (c === currentClass ? " dg-current" : ""), "data-class": c,
            title: `class ${c}${c >= n ? " (new: the model grows an output)" : ""}`, style: `background:${colour}` },
          String(c),
        );
        b.addEventListener("click", () => {
          currentClass = c;
          clickMode = modeSelect.value = "add";
          drawClasses();
        });
        return b;
      }),
    );
  };
  const dataBar = h(
    "div",
    { class: "dg-toolbar dg-databar" },
    h("label", {}, "click: ", modeSelect),
    classBox,
    h("button", { type: "button", class: "dg-reset-data", disabled: replaying, onclick: () => send({ action: "reset_data" }) }, "Reset data"),
  );
  const thumbsBox = h("div", { class: "dg-thumbs", hidden: true });
  const dataHeading = h("h4", {}, "data, decision boundary, first-layer zero lines");
  const curvesHeading = h("h4", {}, "loss and accuracy (whole dataset)");
  const curves = s("svg", { class: "dg-curves" });
  const caption = h("p", { class: "dg-caption" });
  const graphBox = h("div", { class: "dg-graph" }, "laying out the graph…");
  const derivationPanel = h("div", { class: "dg-derivation", hidden: true });
  const backwardBar = h("div", { class: "dg-toolbar dg-backward" });
  const table = h("div", { class: "dg-optimizer", role: "table" });
  const healthChart = s("svg", { class: "dg-health-chart" });
  const foldBar = h("div", { class: "dg-toolbar dg-folds" });
  el.append(
    h(
      "div",
      { class: "dg-widget dg-lab" },
      toolbar,
      editor,
      error,
      h(
        "div",
        { class: "dg-panels" },
        h(
          "section",
          { class: "dg-panel" },
          dataHeading,
          dataBar,
          canvas,
          thumbsBox,
        ),
        h("section", { class: "dg-panel" }, curvesHeading, curves),
        h(
          "div",
          { class: "dg-right" },
          h("section", { class: "dg-panel dg-health" }, h("h4", {}, "the network's health, per layer (whole dataset)"), healthChart),
          h(
            "section",
            { class: "dg-panel dg-probe" },
            h(
              "h4",
              {},
              "the probe sample's loss graph: data and δ (blue δ > 0, red δ < 0)" +
                (replaying ? "" : "; click a value for its δ derivation, a parameter to edit it"),
            ),
            caption,
            backwardBar,
            foldBar,
            derivationPanel,
            graphBox,
          ),
        ),
        h(
          "details",
          { class: "dg-panel dg-wide dg-table" },
          h("summary", {}, replaying ? "optimizer state" : "optimizer state (click a row to edit)"),
          table,
        ),
      ),
    ),
  );

  let geometry = null;
  // a hovered (or clicked, pinned) thumbnail: its neuron's activation drawn over the data, at the data panel's size
  let hovered = null;
  let pinned = null;
  const overlay = () => {
    const thumbs = model.get("thumbnails");
    const shown = hovered || pinned;
    const layer = shown && thumbs.layers && thumbs.layers[shown[0]];
    if (!layer || !layer.values[shown[1]]) return null;
    const values = layer.values[shown[1]];
    return { kind: thumbs.kind, n: thumbs.n, values, title: `${layer.labels[shown[1]]} = ${layer.activation}(z)` };
  };
  const drawDataPanel = () => {
    geometry = drawData(canvas, model, overlay());
  };
  const hover = (layer, unit) => {
    hovered = layer === null ? null : [layer, unit];
    drawDataPanel();
  };
  const drawNeurons = () => drawThumbnails(thumbsBox, model.get("thumbnails"), { onHover: hover, onPin: pin, pinned });
  const pin = (layer, unit) => {
    pinned = pinned && pinned[0] === layer && pinned[1] === unit ? null : [layer, unit]; // a second click unpins
    drawNeurons();
    drawDataPanel();
  };
  canvas.addEventListener("click", (event) => {
    if (!geometry || replaying) return; // a replay shows the recorded probe
    const r = canvas.getBoundingClientRect();
    const cx = ((event.clientX - r.left) / r.width) * canvas.width;
    const cy = ((event.clientY - r.top) / r.height) * canvas.height;
    const { x0, x1, y0, y1 } = geometry;
    const x = x0 + (cx / canvas.width) * (x1 - x0);
    const y = y1 - (cy / canvas.height) * (y1 - y0);
    let best = -1;
    let bestD = Infinity;
    model.get("points").forEach(([px, py], i) => {
      const d = (geometry.px(px) - cx) ** 2 + (geometry.py(py) - cy) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    });
    if (clickMode === "add" && regression()) {
      // regression: a click on a point removes it, elsewhere adds the point (x, y) where clicked
      if (best >= 0 && bestD <= 64) send({ action: "remove_point", index: best });
      else send({ action: "add_point", x: [x], label: y });
    } else if (clickMode === "add") {
      send({ action: "add_point", x: [x, y], label: currentClass });
    } else if (clickMode === "remove") {
      if (best >= 0 && bestD <= 100) send({ action: "remove_point", index: best }); // within 10 px of a point
    } else if (best >= 0) {
      model.set("probe", best);
      model.save_changes();
    }
  });
  lr.addEventListener("change", () => {
    const v = parseFloat(lr.value);
    if (Number.isFinite(v) && v >= 0) {
      model.set("lr", v);
      model.save_changes();
    }
  });
  speed.addEventListener("change", () => {
    const v = parseFloat(speed.value);
    if (Number.isFinite(v) && v > 0) {
      model.set("speed", v);
      model.save_changes();
    }
  });

  // Play: one step message at a time; the next is sent when the kernel's new state has arrived.
  let timer = null;
  let waiting = false;
  let sentAt = 0;
  const tick = () => {
    timer = null;
    if (!model.get("playing") || waiting) return;
    waiting = true;
    sentAt = performance.now();
    send({ action: "step" });
  };
  const schedule = () => {
    if (!model.get("playing") || timer) return;
    const wait = Math.max(0, 1000 / Math.max(0.1, model.get("speed")) - (performance.now() - sentAt));
    timer = setTimeout(tick, wait);
  };
  play.addEventListener("click", () => {
    model.set("playing", !model.get("playing"));
    model.save_changes();
  });
  const onPlaying = () => {
    play.textContent = model.get("playing") ? "❚❚ Pause" : "▶ Play";
    if (model.get("playing")) schedule();
    else if (timer) clearTimeout(timer), (timer = null);
  };
  const onSteps = () => {
    waiting = false;
    schedule();
  };

  // A click on a layer's block draws that layer node by node; a click on an expanded layer's frame folds it again.
  const toggleBlock = (index) => {
    const expanded = model.get("expanded") || [];
    model.set("expanded", expanded.includes(index) ? expanded.filter((i) => i !== index) : [...expanded, index].sort());
    model.save_changes();
  };
  let backwardIndex = -1;
  const drawProbe = async () => {
    const viz = await graphvizFor(model);
    const backward = model.get("backward") || [];
    const frame = backwardIndex >= 0 ? backward[backwardIndex] : null;
    caption.textContent = frame ? frame.caption : model.get("probe_caption");
    const derivation = frame ? {} : model.get("derivation") || {};
    const shownBlocks = model.get("blocks") || [];
    drawGraph(graphBox, viz, frame ? frame.dot : model.get("dot"), {
      deltas: frame ? null : model.get("node_deltas"),
      editable: replaying ? null : model.get("parameter_nodes"),
      onEdit: openEditor,
      onSelect: replaying ? null : (node) => send({ action: "derive", node }),
      selected: derivation.node,
      blocks: frame ? null : Object.fromEntries(shownBlocks.map((b) => [b.name, b.index])),
      clusters: frame ? null : Object.fromEntries(shownBlocks.filter((b) => b.cluster).map((b) => [b.cluster, b.index])),
      onBlock: replaying ? null : toggleBlock,
    });
    const expanded = replaying ? [] : model.get("expanded") || [];
    foldBar.replaceChildren(
      ...shownBlocks.filter((b) => expanded.includes(b.index)).map((b) =>
        h("button", { type: "button", class: "dg-fold", "data-block": b.index, onclick: () => toggleBlock(b.index) },
          `fold ${b.kind === "layer" ? `layer ${b.index + 1}` : b.kind} ▴`),
      ),
    );
    showDerivation(derivationPanel, graphBox, derivation);
  };
  if ((model.get("backward") || []).length) {
    const n = model.get("backward").length;
    const show = (i) => {
      backwardIndex = Math.max(-1, Math.min(n - 1, i));
      drawProbe();
    };
    backwardBar.append(
      h("button", { type: "button", class: "dg-back", onclick: () => show(backwardIndex - 1) }, "◀"),
      h("button", { type: "button", class: "dg-step-backward", onclick: () => show(backwardIndex + 1) }, "Step backward ▶"),
      h("button", { type: "button", class: "dg-all", onclick: () => show(-1) }, "Whole graph"),
    );
  }

  // Rows of a grid rather than a <table>: rows scrolled out of view skip layout (content-visibility), so a
  // network's hundreds of parameters do not slow every redraw.
  let tableShape = "";
  const drawTable = () => {
    const extra = model.get("optimizer_columns");
    const keys = ["value", "grad", "update", ...extra];
    const params = model.get("parameters");
    const shape = `${params.length}:${extra.join(",")}`;
    if (shape !== tableShape) {  // new columns or rows: build the table; else only its numbers change
      tableShape = shape;
      table.style.setProperty("--dg-columns", keys.length);
      const head = ["parameter", "value", "gradient", "last update", ...extra].map((c) => h("span", {}, c));
      const rows = params.map((p, i) =>
        h(
          "div",
          { class: "dg-param-row", role: "row", "data-index": i, onclick: () => openEditor(i) },
          h("span", { class: "dg-cell" }, p.name),
          ...keys.map(() => h("span", { class: "dg-cell" })),
        ),
      );
      table.replaceChildren(h("div", { class: "dg-param-head", role: "row" }, ...head), ...rows);
    }
    const rows = table.querySelectorAll(".dg-param-row");
    params.forEach((p, i) => {
      const cells = rows[i].children;
      keys.forEach((k, j) => {
        const text = fmt(p[k]);
        if (cells[j + 1].textContent !== text) cells[j + 1].textContent = text;
      });
    });
  };
  const drawAll = () => {
    const acc = model.get("accuracy_value");
    status.textContent =
      `step ${model.get("steps")} · epoch ${model.get("epoch")} · loss ${fmt(model.get("loss_value"))}` +
      (acc >= 0 ? ` · accuracy ${(100 * acc).toFixed(1)}%` : "");
    if (document.activeElement !== lr) lr.value = model.get("lr");
    if (document.activeElement !== speed) speed.value = model.get("speed");
    error.textContent = model.get("error") || "";
    if (regression() !== dataHeading.dgRegression) {
      // regression: a click adds a point or removes one, from the start (there is no class to choose)
      dataHeading.dgRegression = regression();
      dataHeading.textContent = regression()
        ? "data (x, y) and the fitted curve y = model(x)"
        : "data, decision boundary, first-layer zero lines";
      modeSelect.options[1].textContent = regression() ? "add a point (click one: remove it)" : "add a point";
      if (regression() && !replaying) clickMode = modeSelect.value = "add";
      canvas.title = { probe: "click a point to probe it", add: "click to add a point", remove: "click a point to remove it" }[clickMode];
    }
    curvesHeading.textContent = acc >= 0 ? "loss and accuracy (whole dataset)" : "loss (whole dataset)";
    drawDataPanel();
    drawNeurons();
    drawClasses();
    drawCurves(curves, model.get("history"));
    drawTable();
    drawHealth(healthChart, model.get("health"));
    drawProbe();
  };
  // Every trait drawAll draws: the kernel's changes arrive in several messages (one per hold_sync), and the page
  // may draw between them, so whichever trait arrives last must redraw too (a probe's caption comes after its graph).
  const events = ["dot", "boundary", "parameters", "probe", "probe_caption", "error", "lr", "speed", "history",
    "derivation", "points", "classes", "thumbnails", "health", "curve", "blocks", "expanded", "steps", "epoch",
    "loss_value", "accuracy_value", "zero_lines", "node_deltas", "parameter_nodes", "optimizer_columns"];
  let queued = false;
  const redraw = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      drawAll();
    });
  };
  for (const e of events) model.on(`change:${e}`, redraw);
  model.on("change:playing", onPlaying);
  model.on("change:steps", onSteps);
  drawAll();
  onPlaying();
  return () => {
    for (const e of events) model.off(`change:${e}`, redraw);
    model.off("change:playing", onPlaying);
    model.off("change:steps", onSteps);
    if (timer) clearTimeout(timer);
  };
}

function render({ model, el }) {
  el.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab: keys typed in the widget stay in it
  const view = model.get("view");
  if (view === "lab") return renderLab(model, el);
  if (view === "explore") return renderExplore(model, el);
  if (view === "steps") return renderSteps(model, el);
  return renderGraph(model, el);
}

export default { render };

// ------------------------------------------------------------------ replay (a saved page, no kernel)
// A stand-in for the widget model: the traits of the current recorded frame. In a Lab replay "Step" and
// "Play" advance through the training frames and "Reset" goes back to the first; edits need the kernel.
class ReplayModel {
  constructor(record, vizBase64) {
    let state = {};
    this.frames = record.frames.map((changes) => (state = { ...state, ...changes })); // each stored what changed
    this.index = 0;
    this.local = { backward: record.backward || [], playing: false };
    this.listeners = {};
    this.replaying = true;
    this.graphvizSource = vizBase64;
  }
  get(key) {
    if (key in this.local) return this.local[key];
    return this.frames[this.index][key];
  }
  set(key, value) {
    this.local[key] = value;
    this.emit(key);
  }
  save_changes() {}
  on(event, cb) {
    (this.listeners[event] ||= []).push(cb);
  }
  off(event, cb) {
    this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== cb);
  }
  emit(key) {
    for (const cb of this.listeners[`change:${key}`] || []) cb();
  }
  show(i) {
    this.index = Math.max(0, Math.min(this.frames.length - 1, i));
    for (const key of Object.keys(this.frames[this.index])) if (!(key in this.local)) this.emit(key);
  }
  send(msg) {
    if (msg.action === "step") {
      if (this.index >= this.frames.length - 1) this.set("playing", false);
      else this.show(this.index + 1);
    } else if (msg.action === "reset") {
      this.set("playing", false);
      this.show(0);
    }
  }
}

// `record`: the gzipped, base64-encoded JSON that save_html wrote; `vizBase64`: Graphviz-WASM, the same way.
export async function replay(el, recordGzipBase64, vizBase64) {
  const record = JSON.parse(await gunzipBase64(recordGzipBase64));
  const model = new ReplayModel(record, vizBase64);
  const note = h("p", { class: "dg-replay-note" }, "Recorded with deltagrad: a replay of its frames (no kernel).");
  el.append(note);
  return render({ model, el });
}
