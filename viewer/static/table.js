/* Task table: filters, sortable columns (incl. any summary metric / hyperparameter), paging,
   selection for compare. Everything is answered by /api/tasks (the store's catalog). */
import {runColor, runSwatch} from "./chart.js";
import {useRuns} from "./colors.js";
import {RL} from "./common.js";
import {ColumnPrefs, columnsOf, download, renderChooser, stickPinned, toCSV} from "./columns.js";
import {groupLink} from "./group_link.js";

(function () {
  const project = RL.page.project;
  const form = document.getElementById("filters");
  const table = document.getElementById("tasks");
  const errBox = document.getElementById("table-error");
  const selected = new Set();
  const st = {sort: "updated", order: "desc", offset: 0};
  const MAX_COMPARE = 20;   // pages.MAX_COMPARE
  const prefs = new ColumnPrefs(project);
  const chooser = document.getElementById("col-chooser");
  const chooserList = document.getElementById("col-list");
  const chooserFilter = document.getElementById("col-filter");
  let shown = null, allCols = [], visibleCols = [], focusSort = null;
  /* group-by: W&B's group / job type (from the task's metadata), status or project; the rows of
     this page are grouped, each group keeps the sort order and folds away under its header */
  const groupSel = document.getElementById("group-by");
  const collapsed = new Set();
  if ([...groupSel.options].some(o => o.value === prefs.groupBy)) groupSel.value = prefs.groupBy;
  groupSel.addEventListener("change", () => { prefs.groupBy = groupSel.value; prefs.save(); collapsed.clear(); rerender(); });

  /* the metric box takes summary ranges (loss:0:0.5) and series figures (min.loss::0.3) */
  const STAT_RE = /^(last|min|max)\./;
  function params() {
    const f = new FormData(form);
    const ranges = (f.get("metric") || "").split(/\s+/).filter(Boolean);
    return {project, q: f.get("q"), tag: f.get("tag"), status: f.get("status"), stats: 1,
            metric: ranges.filter(r => !STAT_RE.test(r)), stat: ranges.filter(r => STAT_RE.test(r)),
            limit: f.get("limit"), sort: st.sort, order: st.order, offset: st.offset};
  }

  /* a sortable header is a button (keyboard: Tab + Enter/Space) and says its order in aria-sort */
  function header(col) {
    const pinned = prefs.isPinned(col);
    const th = RL.el("th", {class: (col.sort ? "sort" : "") + (pinned ? " pinned" : ""), "data-col": col.id,
                            scope: "col"});
    if (!col.sort) { th.textContent = col.label; return th; }
    const on = st.sort === col.sort;
    th.setAttribute("aria-sort", on ? (st.order === "desc" ? "descending" : "ascending") : "none");
    if (on) th.classList.add(st.order === "desc" ? "desc" : "asc");
    th.appendChild(RL.el("button", {type: "button", class: "sort-btn", text: col.label,
                                    title: "sort by " + col.label, onclick: () => {
      st.order = st.sort === col.sort && st.order === "desc" ? "asc" : "desc";
      st.sort = col.sort; st.offset = 0; focusSort = col.id; load();
    }}));
    return th;
  }

  function selectAllBox(tasks) {
    const n = tasks.filter(t => selected.has(t.id)).length;
    const box = RL.el("input", {type: "checkbox", id: "select-all", "aria-label": "select every task on this page",
                                checked: tasks.length > 0 && n === tasks.length});
    box.indeterminate = n > 0 && n < tasks.length;
    box.addEventListener("change", () => {
      for (const t of tasks) box.checked ? selected.add(t.id) : selected.delete(t.id);
      for (const b of table.tBodies[0].querySelectorAll("input.row-select")) b.checked = box.checked;
      updateCompare();
    });
    return box;
  }

  function cellOf(col, t) {
    const td = RL.el("td", {class: (col.num ? "num" : "") + (prefs.isPinned(col) ? " pinned" : "")});
    if (col.cell) for (const n of [].concat(col.cell(t))) td.appendChild(n);
    else td.textContent = col.text(t);
    return td;
  }

  function render(data) {
    shown = data;
    const thead = table.tHead, tbody = table.tBodies[0];
    thead.textContent = ""; tbody.textContent = "";
    // All tasks: same-named runs of different projects must be told apart
    allCols = columnsOf(data, project === null || project === undefined);
    visibleCols = prefs.arrange(allCols).filter(c => prefs.visible(c));
    thead.appendChild(RL.el("tr", null, [RL.el("th", {class: "pinned select"}, selectAllBox(data.tasks)),
                                         ...visibleCols.map(header)]));
    if (!data.tasks.length) {
      tbody.appendChild(RL.el("tr", null, RL.el("td", {colspan: visibleCols.length + 1, class: "muted empty",
                                                       text: "No tasks match these filters."})));
    }
    const by = groupSel.value;
    const groupOf = t => (t[by] === null || t[by] === undefined || t[by] === "" ? "(none)" : String(t[by]));
    let tasks = data.tasks;
    const groups = new Map();   // group value -> its tasks, in the page's sort order
    if (by) {
      for (const t of tasks) {
        if (!groups.has(groupOf(t))) groups.set(groupOf(t), []);
        groups.get(groupOf(t)).push(t);
      }
      tasks = [...groups.values()].flat();
    }
    let current = null;
    for (const t of tasks) {
      if (by && groupOf(t) !== current) {
        const g = current = groupOf(t);
        const open = !collapsed.has(g), n = groups.get(g).length;
        const btn = RL.el("button", {type: "button", class: "group-toggle", "aria-expanded": open ? "true" : "false",
                                     text: `${open ? "▾" : "▸"} ${groupSel.selectedOptions[0].text}: ${g} · ${n} task${n === 1 ? "" : "s"}`});
        btn.addEventListener("click", () => { collapsed.has(g) ? collapsed.delete(g) : collapsed.add(g); rerender(); });
        tbody.appendChild(RL.el("tr", {class: "group-row", "data-group": g},
                                RL.el("th", {colspan: visibleCols.length + 1, scope: "rowgroup"},
                                      [btn, groupLink(project, by, groups.get(g)[0][by])])));
      }
      const box = RL.el("input", {type: "checkbox", class: "row-select", "aria-label": "select " + t.name,
                                  checked: selected.has(t.id)});
      box.addEventListener("change", () => {
        box.checked ? selected.add(t.id) : selected.delete(t.id);
        const all = document.getElementById("select-all"), n = data.tasks.filter(x => selected.has(x.id)).length;
        all.checked = n === data.tasks.length; all.indeterminate = n > 0 && n < data.tasks.length;
        updateCompare();
      });
      const tr = RL.el("tr", {"data-id": t.id}, [RL.el("td", {class: "pinned select"}, [box, runSwatch(t.id)]),
                                                ...visibleCols.map(c => cellOf(c, t))]);
      if (by) { tr.dataset.group = current; tr.hidden = collapsed.has(current); }
      tbody.appendChild(tr);
    }
    stickPinned(table);
    if (focusSort) {    // keep the keyboard where it was: the header rebuilt under it
      const b = thead.querySelector(`th[data-col="${CSS.escape(focusSort)}"] button`);
      if (b) b.focus();
      focusSort = null;
    }
    if (chooser.open) renderChooser(chooserList, chooserFilter.value, allCols, prefs, rerender);
    const lim = data.limit;
    document.getElementById("page-info").textContent =
      data.total ? `${data.offset + 1}–${Math.min(data.offset + lim, data.total)} of ${data.total}` : "0 tasks";
    document.getElementById("prev").disabled = data.offset === 0;
    document.getElementById("next").disabled = data.offset + lim >= data.total;
    document.getElementById("export-csv").disabled = !data.tasks.length;
  }

  function rerender() { if (shown) render(shown); }
  chooser.addEventListener("toggle", () => { if (chooser.open) renderChooser(chooserList, chooserFilter.value, allCols, prefs, rerender); });
  chooserFilter.addEventListener("input", () => renderChooser(chooserList, chooserFilter.value, allCols, prefs, rerender));
  document.getElementById("export-csv").addEventListener("click", () => {
    if (!shown) return;
    download((project ? project.replace(/[^\w.-]+/g, "_") : "all") + "-tasks.csv", toCSV(visibleCols, shown.tasks),
             "text/csv;charset=utf-8");
  });

  function updateCompare() {
    // the selected runs get the colours compare will give them (colors.js: never shared up to 20)
    useRuns(selected);
    table.querySelectorAll(".swatch[data-task]").forEach(s => { s.style.background = runColor(s.dataset.task); });
    const b = document.getElementById("compare-btn");
    b.disabled = selected.size < 1 || selected.size > MAX_COMPARE;
    b.textContent = selected.size > MAX_COMPARE ? `Compare: at most ${MAX_COMPARE} (${selected.size} selected)`
                                                : `Compare selected (${selected.size})`;
  }

  /* While a shown task is running the page re-asks every poll_ms (conditionally: an unchanged
     page costs a 304); a finished or crashed run stops the polling once no shown row runs. */
  const POLL_MS = RL.page.poll_ms || 2000;
  const LIVE = new Set(["running", "created"]);
  let pollTimer = null, seq = 0, polls = 0;

  function showFailure(e) {
    /* the rows of an earlier answer would pass for the answer to this filter: drop them */
    RL.showError(errBox, e);
    table.tHead.textContent = "";
    const tbody = table.tBodies[0];
    tbody.textContent = "";
    tbody.appendChild(RL.el("tr", null, RL.el("td", {class: "error", text: "could not load the tasks: " +
      (e && e.message ? e.message : String(e))})));
    table.dataset.total = "";
    document.getElementById("page-info").textContent = "";
  }

  async function fetchPage(live) {
    const my = ++seq;
    clearTimeout(pollTimer);
    try {
      const {data, changed} = await RL.getJSON("/api/tasks?" + RL.qs(params()), true);
      if (my !== seq) return;                       // a newer load superseded this one
      errBox.hidden = true;
      if (!live || changed) { table.dataset.total = String(data.total); render(data); }
      const active = data.tasks.some(t => LIVE.has(t.status));
      table.dataset.live = active ? "1" : "0";
      if (live) table.dataset.polls = String(++polls);
      if (active) pollTimer = setTimeout(() => fetchPage(true), POLL_MS);
    } catch (e) {
      if (my !== seq) return;
      if (live) { pollTimer = setTimeout(() => fetchPage(true), POLL_MS * 3); return; }  // keep the rows
      showFailure(e);
    }
  }

  function load() { saveState(); return fetchPage(false); }

  // the table's state lives in the URL hash, so reload, back and shared links keep it
  function saveState() {
    const f = new FormData(form);
    const h = RL.qs({q: f.get("q"), tag: f.get("tag"), status: f.get("status"), metric: f.get("metric"),
                     limit: f.get("limit") !== "50" ? f.get("limit") : "", sort: st.sort !== "updated" ? st.sort : "",
                     order: st.order !== "desc" ? st.order : "", offset: st.offset || ""});
    history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
  }
  function restoreState() {
    const h = new URLSearchParams(location.hash.slice(1));
    for (const k of ["q", "tag", "status", "metric", "limit"]) if (h.get(k) !== null && form[k]) form[k].value = h.get(k);
    st.sort = h.get("sort") || "updated";
    st.order = h.get("order") === "asc" ? "asc" : "desc";
    st.offset = Math.max(0, parseInt(h.get("offset") || "0", 10) || 0);
  }
  form.addEventListener("submit", e => { e.preventDefault(); st.offset = 0; load(); });
  document.getElementById("prev").addEventListener("click", () => { st.offset = Math.max(0, st.offset - Number(form.limit.value)); load(); });
  document.getElementById("next").addEventListener("click", () => { st.offset += Number(form.limit.value); load(); });
  document.getElementById("compare-btn").addEventListener("click", () => {
    location.href = "/compare?" + RL.qs({ids: [...selected].join(",")});
  });
  restoreState();
  load();
})();
