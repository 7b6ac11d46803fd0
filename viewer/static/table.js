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
    const cols = [RL.el("th", {text: ""}), header("name", "name"), header("status", "status"), header("tags", null),
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
    b.disabled = selected.size < 1;
    b.textContent = `Compare selected (${selected.size})`;
  }

  async function fetchPage() {
    errBox.hidden = true;
    try {
      const {data} = await RL.getJSON("/api/tasks?" + RL.qs(params()));
      table.dataset.total = String(data.total);
      render(data);
    } catch (e) { RL.showError(errBox, e); }
  }

  function load() { saveState(); return fetchPage(); }

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
