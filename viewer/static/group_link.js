/* Task table hook (issue 16, part 4): when the table is grouped by W&B group or job type, each group
   header links to that group's page (/groups: mean line and min-max band across its runs) and says
   how many runs the whole group has: the table groups only the rows of the shown page, /api/groups
   counts every run of the project. */
import {RL} from "./common.js";

const KEYS = ["group", "job_type"];
let memo = {key: null, at: 0, promise: null};

/* one /api/groups answer per table render (headers of one render share it; ETag on later ones) */
function groupsOf(project, by) {
  const key = JSON.stringify([project, by]);
  if (memo.key !== key || Date.now() - memo.at > 1000) {
    const promise = RL.getJSON("/api/groups?" + RL.qs({project, by}), true)
      .then(a => new Map(a.data.groups.map(g => [g.name, g])), () => new Map());
    memo = {key, at: Date.now(), promise};
  }
  return memo.promise;
}

/* the link for one group header, or null when ``by`` is not a W&B key or the rows have none */
export function groupLink(project, by, value) {
  if (!KEYS.includes(by) || value === null || value === undefined || value === "") return null;
  const a = RL.el("a", {class: "group-link", href: "/groups?" + RL.qs({project, [by]: String(value)}),
                        text: "group charts"});
  a.style.marginLeft = "1em";
  groupsOf(project, by).then(m => {
    const g = m.get(String(value));
    if (!g) return;
    a.dataset.runs = String(g.runs);
    a.textContent = `group charts (${g.runs} run${g.runs === 1 ? "" : "s"} in all)`;
    a.title = Object.entries(g.statuses).map(([s, n]) => `${n} ${s}`).join(", ");
  });
  return a;
}
