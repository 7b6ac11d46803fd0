/* Artifacts: the task page's Artifacts tab and the artifact page's previews. DOM is built with
   textContent only (RL.el), so no artifact name, path, metadata or preview is ever parsed as HTML. */
import {RL} from "./common.js";

const el = RL.el;
const fileUrl = (a, path, inline) => "/artifact/file?" + RL.qs({scope: a.scope, name: a.name, version: a.version, path, inline: inline ? "1" : ""});
const pageUrl = a => "/artifact?" + RL.qs({scope: a.scope, name: a.name}) + "#" + a.version;
const bytes = n => Number(n || 0).toLocaleString() + " B";

async function showPreview(box, a, path) {
  box.replaceChildren(el("p", {class: "muted", text: "Loading preview…"}));
  try {
    const {data} = await RL.getJSON("/api/artifact/preview?" + RL.qs({scope: a.scope, name: a.name, version: a.version, path}));
    if (data.kind === "image") {
      box.replaceChildren(el("img", {class: "artifact-image", src: fileUrl(a, path, true), alt: path, style: "max-width: 100%; image-rendering: pixelated"}));
    } else if (data.kind === "table") {
      const head = el("tr", null, data.columns.map(c => el("th", {text: c})));
      const rows = data.rows.map(r => el("tr", null, r.map(c => el("td", {text: c}))));
      const note = data.total !== null && data.total > data.rows.length ? `first ${data.rows.length} of ${data.total} rows` : `${data.rows.length} rows shown`;
      box.replaceChildren(el("table", {class: "grid artifact-table"}, [head, ...rows]), el("p", {class: "muted", text: note}));
    } else if (data.kind === "text") {
      box.replaceChildren(el("pre", {class: "code artifact-text", text: data.text}));
    } else {
      box.replaceChildren(el("p", {class: "muted", text: "no preview for this file; download it"}));
    }
  } catch (e) {
    box.replaceChildren(el("p", {class: "error", text: "preview failed: " + e.message}));
  }
}

function card(a, role) {
  const preview = el("div", {class: "artifact-preview"});
  const files = el("table", {class: "grid files"}, [el("tr", null, [el("th", {text: "file"}), el("th", {text: "size"}), el("th")])]);
  for (const f of a.files) {
    files.appendChild(el("tr", null, [
      el("td", {text: f.path}), el("td", {class: "num", text: bytes(f.size)}),
      el("td", null, [el("a", {class: "download", href: fileUrl(a, f.path), text: "download"}), " ",
        el("button", {type: "button", class: "preview-btn", text: "preview", onclick: () => showPreview(preview, a, f.path)})]),
    ]));
  }
  for (const r of a.references) {
    files.appendChild(el("tr", null, [el("td", {text: r.path}), el("td", {colspan: "2", class: "muted", text: "reference: " + r.uri + " (not stored)"})]));
  }
  const head = el("h3", null, [el("a", {href: pageUrl(a), class: "artifact-link", text: a.name}), " ",
    el("span", {class: "muted", text: `${a.version} · ${a.type || a.kind} · ${bytes(a.size)}`}),
    ...a.aliases.map(x => el("span", {class: "tag", text: x}))]);
  const parts = [head];
  if (role === "used" && a.producer) parts.push(el("p", {class: "muted"}, ["produced by ", el("a", {href: "/tasks/" + encodeURIComponent(a.producer), text: a.producer})]));
  if (a.preview) parts.push(el("details", null, [el("summary", {text: "stored preview"}), el("pre", {class: "code", text: a.preview})]));
  if (Object.keys(a.metadata || {}).length) parts.push(el("details", null, [el("summary", {text: "metadata"}), el("pre", {class: "code", text: JSON.stringify(a.metadata, null, 2)})]));
  parts.push(files, preview);
  return el("article", {class: "artifact-card", "data-name": a.name}, parts);
}

async function loadTab(box, task) {
  box.replaceChildren(el("p", {class: "muted", text: "Loading…"}));
  try {
    const {data} = await RL.getJSON("/api/tasks/" + encodeURIComponent(task) + "/artifacts");
    const out = [];
    const section = (title, list, role) => {
      if (!list.length) return;
      out.push(el("h2", {text: title}), ...list.map(a => card(a, role)));
    };
    section("Artifacts", data.artifacts, "own");
    section("Produced in the project (artifacts, models)", data.produced, "produced");
    section("Used (input artifacts and models)", data.used, "used");
    box.replaceChildren(...(out.length ? out : [el("p", {class: "muted", text: "this task has no artifacts"})]));
  } catch (e) {
    box.replaceChildren(el("p", {class: "error", text: "artifacts failed to load: " + e.message}));
  }
}

const tabBox = document.getElementById("artifacts");
if (tabBox && RL.page.task) {
  let loaded = false;
  const load = () => { if (!loaded) { loaded = true; loadTab(tabBox, RL.page.task); } };
  const btn = document.querySelector('nav.tabs button[data-tab="artifacts"]');
  if (btn) btn.addEventListener("click", load);
  if (location.hash === "#artifacts") load();
}
document.querySelectorAll("#artifact-page .preview-btn").forEach(b => b.addEventListener("click", () => {
  const box = b.closest("section.artifact-version").querySelector(".artifact-preview");
  showPreview(box, {scope: b.dataset.scope, name: b.dataset.name, version: b.dataset.version}, b.dataset.path);
}));
document.querySelectorAll("#artifact-page td.ts").forEach(td => { td.textContent = RL.fmtTime(td.dataset.ts); });
