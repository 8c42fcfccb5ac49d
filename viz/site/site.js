// deltagrad's browser page: Pyodide (CPython compiled to WebAssembly) runs deltagrad's own wheel, installed from
// this site; lab.js draws graphs and widgets exactly as in Jupyter, through a model object with anywidget's
// interface (get/set/on/off/save_changes/send) whose traits live in the Python widget. Nothing at run time is
// fetched from anywhere but this site.
//
// window.deltagrad: { ready: Promise (resolves once Python and deltagrad are loaded), run(code) -> Promise of
// what the code printed (rejects with the Python error), link() -> Promise of this page's shareable URL }.
//
// Shareable state lives in the URL's fragment (never sent to a server): "#s=" + base64url(deflate-raw(JSON))
// of { lesson, code, lab: { lr, steps, probe } }. Opening such a link restores the editor's code, runs it,
// and brings the lab it makes to the same learning rate, probe and step (training replays from its seed).
// "#lesson=<id>" opens a lesson by name (lessons.md's ids: neuron, by-hand, moons, check-op).

import { loadPyodide } from "./pyodide/pyodide.mjs";
import lab from "./static/lab.js";

const $ = (id) => document.getElementById(id);
const GRAPHVIZ = Symbol.for("deltagrad.graphviz"); // lab.js takes the Graphviz instance from here first
const here = (path) => new URL(path, location.href).href;

function status(text) {
  $("status").textContent = text;
}

async function boot() {
  const started = performance.now();
  const manifest = await (await fetch("site.json")).json();
  const pyodide = await loadPyodide({ indexURL: here("pyodide/"), stdout: () => {}, stderr: () => {} });
  status("Installing deltagrad…");
  await pyodide.loadPackage(manifest.wheels.map((w) => here(`wheels/${w}`)), { messageCallback: () => {} });
  pyodide.FS.writeFile("/home/pyodide/deltagrad_page.py", await (await fetch("page.py")).text());
  const page = pyodide.pyimport("deltagrad_page");
  const seconds = (performance.now() - started) / 1000;
  status(`Ready (${seconds.toFixed(1)} s): Python ${pyodide.runPython("import sys; sys.version.split()[0]")}, deltagrad.`);
  return { pyodide, page, namespace: page.new_namespace() };
}

// deltagrad's modules are imported (and Graphviz-WASM instantiated) right after the page is ready, while the
// learner reads; a run waits for them.
async function warmUp() {
  const { page } = await booted;
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the page draw "Ready" first
  page.start();
  globalThis[GRAPHVIZ] = import("./static/viz.js").then((m) => m.instance());
}

// ------------------------------------------------------------------ models for lab.js
// A graph drawn once: traits that never change.
class StaticModel {
  constructor(state) {
    this.state = state;
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.state[key] = value;
  }
  save_changes() {}
  on() {}
  off() {}
  send() {}
}

// anywidget's model interface over a live Python widget (viz.Lab, viz.Explorer, viz.GraphView): traits are read
// from Python (as JSON), changes the page makes go back on save_changes, messages go to the widget's handler,
// and every trait change on the Python side reaches lab.js as "change:<name>".
class PythonModel {
  constructor(bridge) {
    this.bridge = bridge;
    this.cache = new Map();
    this.pending = new Map();
    this.listeners = {};
    this.changed = new Set();
    // Python announces each change while it runs; lab.js hears of them once it is done (as from a kernel)
    bridge.watch((name) => {
      this.cache.delete(name);
      if (!this.changed.size) setTimeout(() => this.flush(), 0);
      this.changed.add(name);
    });
  }
  flush() {
    const names = [...this.changed];
    this.changed.clear();
    for (const name of names) for (const cb of this.listeners[`change:${name}`] || []) cb();
  }
  get(key) {
    if (!this.cache.has(key)) this.cache.set(key, JSON.parse(this.bridge.get(key)));
    return this.cache.get(key);
  }
  set(key, value) {
    this.cache.set(key, value);
    this.pending.set(key, value);
  }
  save_changes() {
    const changes = Object.fromEntries(this.pending);
    this.pending.clear();
    this.bridge.update(JSON.stringify(changes));
  }
  on(event, cb) {
    (this.listeners[event] ||= []).push(cb);
  }
  off(event, cb) {
    this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== cb);
  }
  send(message) {
    // a button's action runs after the click has been drawn, as a kernel's reply would come
    setTimeout(() => this.bridge.receive(JSON.stringify(message)), 0);
  }
}

// ------------------------------------------------------------------ running code
let current = { lab: null }; // the lab model the last run made (for the link)

async function show(item, box) {
  const kind = item.kind;
  const el = document.createElement("div");
  el.className = `output output-${kind}`;
  box.append(el);
  if (kind === "graph") {
    await lab.render({ model: new StaticModel({ view: "graph", dot: item.dot, error: "" }), el });
  } else if (kind === "widget") {
    const { page } = await booted;
    const model = new PythonModel(page.bridge(item.index));
    if (model.get("view") === "lab") current.lab = model;
    await lab.render({ model, el });
  } else if (kind === "html") {
    el.innerHTML = item.html;
  } else {
    const pre = document.createElement("pre");
    pre.textContent = item.text;
    el.append(pre);
  }
}

let running = Promise.resolve();

function run(code) {
  const result = running.then(() => runNow(code));
  running = result.catch(() => {});
  return result;
}

async function runNow(code) {
  const { page, namespace } = await booted;
  await warmed;
  $("run").disabled = true;
  status("Running…");
  const started = performance.now();
  try {
    current = { lab: null };
    const result = JSON.parse(page.run(code, namespace));
    $("stdout").textContent = result.stdout;
    $("error").textContent = result.error;
    const box = $("displays");
    box.replaceChildren();
    for (const item of result.shown) await show(item, box);
    status(`Ran in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    if (result.error) throw new Error(result.error.trim().split("\n").pop());
    return result.stdout;
  } finally {
    $("run").disabled = false;
  }
}

// ------------------------------------------------------------------ shareable state in the fragment
function toBase64Url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

async function pack(state) {
  const stream = new Blob([JSON.stringify(state)]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()));
}

async function unpack(text) {
  const stream = new Blob([fromBase64Url(text)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return JSON.parse(await new Response(stream).text());
}

function labState() {
  const model = current.lab;
  if (!model) return null;
  return { lr: model.get("lr"), steps: model.get("steps"), probe: model.get("probe") };
}

async function link() {
  const state = { lesson: lessonId, code: $("editor").value };
  const lab = labState();
  if (lab) state.lab = lab;
  const url = new URL(location.href);
  url.hash = `s=${await pack(state)}`;
  return url.href;
}

async function restoreLab(state) {
  const model = current.lab;
  if (!model || !state) return;
  const { page } = await booted;
  page.restore_lab(JSON.stringify(state));
}

// ------------------------------------------------------------------ lessons and controls
let lessons = [];
let lessonId = null;

function chooseLesson(id, code) {
  const lesson = lessons.find((l) => l.id === id) || lessons[0];
  lessonId = lesson.id;
  $("intro").innerHTML = `<h2>${lesson.title}</h2>${lesson.intro}`;
  $("editor").value = code ?? lesson.code;
  for (const button of $("lessons").children) button.setAttribute("aria-current", String(button.dataset.id === lessonId));
  $("stdout").textContent = "";
  $("error").textContent = "";
  $("displays").replaceChildren();
}

async function setUp() {
  lessons = await (await fetch("lessons.json")).json();
  for (const lesson of lessons) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = lesson.id;
    button.textContent = lesson.title;
    button.addEventListener("click", () => {
      chooseLesson(lesson.id);
      history.replaceState(null, "", location.pathname + location.search);
    });
    $("lessons").append(button);
  }
  let shared = null;
  const named = /^#lesson=([\w-]+)$/.exec(location.hash); // a lesson by name: #lesson=moons
  if (named) shared = { lesson: named[1] };
  const match = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (match) {
    try {
      shared = await unpack(match[1]);
    } catch (e) {
      $("error").textContent = `This link's state could not be read (${e.message}); showing the first lesson.`;
    }
  }
  chooseLesson(shared?.lesson, shared?.code);
  $("run").addEventListener("click", () => run($("editor").value).catch(() => {}));
  $("restore").addEventListener("click", () => chooseLesson(lessonId));
  $("editor").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.shiftKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run($("editor").value).catch(() => {});
    } else if (e.key === "Tab" && !e.shiftKey) {
      e.preventDefault();
      const editor = e.target;
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
    }
  });
  $("copy-link").addEventListener("click", async () => {
    const url = await link();
    history.replaceState(null, "", url);
    $("link").value = url;
    $("link").hidden = false;
    $("link").select();
    try {
      await navigator.clipboard.writeText(url);
      $("copied").textContent = "Link copied: it holds the code and the lab's settings.";
    } catch {
      $("copied").textContent = "Copy the link below: it holds the code and the lab's settings.";
    }
  });
  await booted;
  $("run").disabled = false;
  if (shared?.code) {
    await run($("editor").value).catch(() => {});
    await restoreLab(shared.lab);
  }
}

const booted = boot();
const warmed = warmUp();
const settled = setUp();
booted.catch((e) => status(`Python could not start: ${e.message}`));

window.deltagrad = { ready: booted.then(() => true), settled, run, link };
