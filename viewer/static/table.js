/* Task table: filters, sortable columns (incl. any summary metric / hyperparameter), paging,
   selection for compare. Everything is answered by /api/tasks (the store's catalog). */
import {RL} from "./common.js";

(function () {
  const project = RL.page.project;
  const form = document.getElementById("filters");
  const table = document.getElementById("tasks");
  const errBox = document.getElementById("table-error");
  const selected = new Set();
  const st = {sort: "updated", order: "desc", offset: 0};
  const MAX_COMPARE = 20;   // pages.MAX_COMPARE

  function params() {
    const f = new FormData(form);
    return {project, q: f.get("q"), tag: f.get("tag"), status: f.get("status"),
            metric: (f.get("metric") || "").split(/\s+/).filter(Boolean),
            limit: f.get("limit"), sort: st.sort, order: st.order, offset: st.offset};
  }

  function header(label, key) {
    const th = RL.el("th", {class: key ? "sort" : "", text: label, title: key ? "sort by " + label : null});
    if (key) {
      if (st.sort === key) th.classList.add(st.order === "desc" ? "desc" : "asc");
      th.addEventListener("click", () => {
        st.order = st.sort === key && st.order === "desc" ? "asc" : "desc";
        st.sort = key; st.offset = 0; load();
      });
    }
    return th;
  }

  function render(data) {
    const thead = table.tHead, tbody = table.tBodies[0];
    thead.textContent = ""; tbody.textContent = "";
    const sc = data.columns.summary, cc = data.columns.config;
    // All tasks: same-named runs of different projects must be told apart
    const projCol = project === null || project === undefined;
    const cols = [RL.el("th", {text: ""}), header("name", "name"), ...(projCol ? [header("project", "project")] : []),
                  header("status", "status"), header("tags", null),
                  header("created", "created"), header("updated", "updated"), header("duration", "duration"),
                  ...sc.map(k => header(k, "summary." + k)), ...cc.map(k => header(k, "config." + k))];
    thead.appendChild(RL.el("tr", null, cols));
    if (!data.tasks.length) {
      tbody.appendChild(RL.el("tr", null, RL.el("td", {colspan: cols.length, class: "muted", text: "No tasks match."})));
    }
    for (const t of data.tasks) {
      const box = RL.el("input", {type: "checkbox", "aria-label": "select " + t.name, checked: selected.has(t.id)});
      box.addEventListener("change", () => { box.checked ? selected.add(t.id) : selected.delete(t.id); updateCompare(); });
      tbody.appendChild(RL.el("tr", null, [
        RL.el("td", null, box),
        RL.el("td", null, RL.el("a", {href: "/tasks/" + encodeURIComponent(t.id), text: t.name || t.id})),
        ...(projCol ? [RL.el("td", {class: "project"}, RL.el("a", {href: "/projects/" + encodeURIComponent(t.project || ""),
                                                                   text: t.project || ""}))] : []),
        RL.el("td", null, RL.el("span", {class: "status status-" + t.status, text: t.status || ""})),
        RL.el("td", null, (t.tags || []).map(g => RL.el("span", {class: "tag", text: g}))),
        RL.el("td", {text: RL.fmtTime(t.created)}),
        RL.el("td", {text: RL.fmtTime(t.updated)}),
        RL.el("td", {text: RL.fmtDuration(t.duration)}),
        ...sc.map(k => RL.el("td", {class: "num", text: RL.fmtNum(t.summary[k])})),
        ...cc.map(k => RL.el("td", {text: RL.fmtNum(t.config[k])})),
      ]));
    }
    const lim = data.limit;
    document.getElementById("page-info").textContent =
      data.total ? `${data.offset + 1}–${Math.min(data.offset + lim, data.total)} of ${data.total}` : "0 tasks";
    document.getElementById("prev").disabled = data.offset === 0;
    document.getElementById("next").disabled = data.offset + lim >= data.total;
  }

  function updateCompare() {
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
