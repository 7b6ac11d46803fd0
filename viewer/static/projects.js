/* Projects page: every project with its id (what a widget query's project=<id> takes), task count and
   last update (/api/projects). */
import {RL} from "./common.js";

(async function () {
  const tbody = document.querySelector("#projects tbody");
  try {
    const {data} = await RL.getJSON("/api/projects");
    tbody.textContent = "";
    if (!data.projects.length) {
      tbody.appendChild(RL.el("tr", null, RL.el("td", {colspan: 3, class: "muted",
        text: "No tasks yet: log something with ringlog.init(...) / Task.init(...)."})));
    }
    for (const p of data.projects) {
      tbody.appendChild(RL.el("tr", null, [
        RL.el("td", null, [RL.el("a", {href: "/projects/" + encodeURIComponent(p.name), text: p.name}), " ",
          RL.el("code", {class: "muted project-id", title: "project id, for widget queries (project=<id>)", text: p.id})]),
        RL.el("td", {text: String(p.tasks)}),
        RL.el("td", {text: RL.fmtTime(p.updated)}),
      ]));
    }
  } catch (e) {
    tbody.textContent = "";
    tbody.appendChild(RL.el("tr", null, RL.el("td", {colspan: 3, class: "error", text: String(e.message)})));
  }
})();
