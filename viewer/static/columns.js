/* Task table columns (issue 19, item 5): every column the API offers (fixed ones, summary metrics,
   hyperparameters, each series' last/min/max), which are shown, pinned and in what order, saved per
   project in localStorage; the chooser panel; CSV of the visible table. DOM built with textContent. */
import {RL} from "./common.js";

const STATS = ["last", "min", "max"];

/* Column definitions for one API answer. value(t): the raw value (CSV, sorting hints); cell(t): a node. */
export function columnsOf(data, projCol) {
  const link = (href, text) => RL.el("a", {href, text});
  const cols = [
    {id: "name", label: "name", sort: "name", fixed: true, value: t => t.name || t.id,
     cell: t => link("/tasks/" + encodeURIComponent(t.id), t.name || t.id)},
    ...(projCol ? [{id: "project", label: "project", sort: "project", value: t => t.project || "",
                    cell: t => link("/projects/" + encodeURIComponent(t.project || ""), t.project || "")}] : []),
    {id: "status", label: "status", sort: "status", value: t => t.status || "",
     cell: t => RL.el("span", {class: "status status-" + t.status, text: t.status || ""})},
    {id: "tags", label: "tags", sort: null, value: t => (t.tags || []).join(" "),
     cell: t => (t.tags || []).map(g => RL.el("span", {class: "tag", text: g}))},
    {id: "created", label: "created", sort: "created", value: t => iso(t.created), text: t => RL.fmtTime(t.created)},
    {id: "updated", label: "updated", sort: "updated", value: t => iso(t.updated), text: t => RL.fmtTime(t.updated)},
    {id: "duration", label: "duration", sort: "duration", value: t => t.duration, text: t => RL.fmtDuration(t.duration)},
  ];
  for (const k of data.columns.summary) cols.push(numCol("summary." + k, k, t => (t.summary || {})[k], "summary"));
  for (const k of data.columns.config) cols.push({...numCol("config." + k, k, t => (t.config || {})[k], "config"), num: false});
  for (const k of data.columns.stats || [])
    for (const s of STATS) cols.push(numCol(s + "." + k, `${k} (${s})`, t => ((t.stats || {})[k] || {})[s], "stats"));
  return cols;
}

function numCol(id, label, get, group) {
  return {id, label, sort: id, group, num: true, value: get, text: t => RL.fmtNum(get(t))};
}

function iso(ts) {
  return typeof ts === "number" ? new Date(ts * 1000).toISOString() : "";
}

/* {order, hidden, shown, pinned} in localStorage under one key per project. A series figure column
   is hidden until chosen (three per series would crowd the table); every other column is shown
   until hidden. */
export class ColumnPrefs {
  constructor(project) {
    this.key = "ringlog.columns." + (project === null || project === undefined ? "*" : "p:" + project);
    let saved = {};
    try { saved = JSON.parse(localStorage.getItem(this.key) || "{}") || {}; } catch (e) { saved = {}; }
    const list = v => Array.isArray(v) ? v.filter(x => typeof x === "string") : [];
    this.order = list(saved.order); this.hidden = new Set(list(saved.hidden));
    this.shown = new Set(list(saved.shown)); this.pinned = list(saved.pinned);
    this.groupBy = typeof saved.groupBy === "string" ? saved.groupBy : "";
  }
  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify({order: this.order, hidden: [...this.hidden],
                                                     shown: [...this.shown], pinned: this.pinned,
                                                     groupBy: this.groupBy}));
    } catch (e) { /* private mode or full storage: the choice lasts this page only */ }
  }
  visible(col) {
    if (col.fixed) return true;
    return col.group === "stats" ? this.shown.has(col.id) : !this.hidden.has(col.id);
  }
  setVisible(col, on) {
    if (col.group === "stats") on ? this.shown.add(col.id) : this.shown.delete(col.id);
    else on ? this.hidden.delete(col.id) : this.hidden.add(col.id);
    if (!on) this.pinned = this.pinned.filter(x => x !== col.id);
    this.save();
  }
  isPinned(col) { return this.pinned.includes(col.id); }
  togglePin(col) {
    this.pinned = this.isPinned(col) ? this.pinned.filter(x => x !== col.id) : [...this.pinned, col.id];
    if (this.isPinned(col)) this.setVisible(col, true); else this.save();
  }
  /* every column in display order: pinned first (in pin order), then the saved order, then new ones */
  arrange(cols) {
    const rank = new Map(this.order.map((id, i) => [id, i]));
    const base = cols.map((c, i) => [c, rank.has(c.id) ? rank.get(c.id) : this.order.length + i]);
    base.sort((a, b) => a[1] - b[1]);
    const byId = new Map(cols.map(c => [c.id, c]));
    const pins = this.pinned.filter(id => byId.has(id)).map(id => byId.get(id));
    return [...pins, ...base.map(x => x[0]).filter(c => !this.isPinned(c))];
  }
  move(cols, col, delta) {
    const ids = this.arrange(cols).map(c => c.id);
    const known = this.order.filter(id => !ids.includes(id));     // keep columns absent from this page
    const i = ids.indexOf(col.id), j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    this.order = [...ids, ...known];
    if (this.isPinned(col)) {   // moving inside the pinned block reorders the pins
      this.pinned = ids.filter(id => this.pinned.includes(id));
    }
    this.save();
  }
}

/* The chooser: one row per column with show, pin, up and down; a text box narrows the list. */
export function renderChooser(list, filterText, cols, prefs, changed) {
  list.textContent = "";
  const q = (filterText || "").toLowerCase();
  for (const c of prefs.arrange(cols)) {
    if (q && !c.label.toLowerCase().includes(q)) continue;
    const show = RL.el("input", {type: "checkbox", checked: prefs.visible(c), disabled: !!c.fixed,
                                 "aria-label": "show column " + c.label});
    const act = (name, fn) => () => { fn(); list.dataset.focus = c.id + "\u0000" + name; changed(); };
    show.dataset.act = "show";
    show.addEventListener("change", act("show", () => prefs.setVisible(c, show.checked)));
    const pin = RL.el("button", {type: "button", class: "pin", text: prefs.isPinned(c) ? "unpin" : "pin",
                                 "aria-pressed": prefs.isPinned(c) ? "true" : "false",
                                 "aria-label": (prefs.isPinned(c) ? "unpin " : "pin ") + c.label, "data-act": "pin"});
    pin.addEventListener("click", act("pin", () => prefs.togglePin(c)));
    const up = RL.el("button", {type: "button", text: "↑", "aria-label": "move " + c.label + " left", "data-act": "up"});
    up.addEventListener("click", act("up", () => prefs.move(cols, c, -1)));
    const down = RL.el("button", {type: "button", text: "↓", "aria-label": "move " + c.label + " right", "data-act": "down"});
    down.addEventListener("click", act("down", () => prefs.move(cols, c, 1)));
    list.appendChild(RL.el("li", {"data-col": c.id}, [RL.el("label", null, [show, " " + c.label]), pin, up, down]));
  }
  if (list.dataset.focus) {   // the list was rebuilt under the keyboard: focus the same control again
    const [id, name] = list.dataset.focus.split("\u0000");
    delete list.dataset.focus;
    const li = [...list.children].find(x => x.dataset.col === id);
    const ctl = li && li.querySelector(`[data-act="${name}"]`);
    if (ctl) ctl.focus();
  }
}

/* CSV (RFC 4180) of the shown columns and rows: raw values (full precision, ISO times); a text cell
   starting with = + - @ gets a leading ' so a spreadsheet does not run it as a formula. */
export function toCSV(cols, tasks) {
  const cell = v => {
    if (v === null || v === undefined) return "";
    let s = typeof v === "object" ? JSON.stringify(v) : String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const lines = [["id", ...cols.map(c => c.label)].map(cell).join(",")];
  for (const t of tasks) lines.push([t.id, ...cols.map(c => c.value(t))].map(cell).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = RL.el("a", {href: url, download: name});
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/* Pinned columns stick to the left: each one's offset is the width of the pinned ones before it. */
export function stickPinned(table) {
  const head = table.tHead && table.tHead.rows[0];
  if (!head) return;
  let left = 0;
  const offsets = [];
  for (const th of head.cells) {
    if (!th.classList.contains("pinned")) continue;
    offsets.push([th.cellIndex, left]);
    left += th.getBoundingClientRect().width;
  }
  for (const row of table.rows) for (const [i, x] of offsets) if (row.cells[i]) row.cells[i].style.left = x + "px";
}
