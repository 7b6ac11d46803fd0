/* Chart sections with pages (issue 19, item 6), for the task page and compare.

   Charts come grouped in sections (W&B's key prefixes; the collapsed system and hidden sections last).
   A section shows at most PAGE_SIZE (24) charts at a time, with a pager under it: a run of 5,000 keys
   builds one page of charts, not 5,000 chart boxes (first paint measured by
   benchmarks/bench_viewer_wide.py). The chart filter applies before paging, so the pages hold only
   matching charts; a chart not on a shown page is never built (no box, no request). A collapsed
   section builds its page when it is first opened (a hidden plot has no width to size its
   decimation budget by). */
import {RL} from "./common.js";
import {observeCharts} from "./chart.js";

export const PAGE_SIZE = 24;

export class ChartSections {
  /* make(grid, c) -> a RingChart (the page keeps it), drop(chart): the page forgets it,
     test(name) -> whether the filter shows chart name ``name`` */
  constructor(box, {make, drop, test, pageSize = PAGE_SIZE}) {
    Object.assign(this, {box, make, drop, test, pageSize});
    this.groups = [];
  }

  /* charts: the API's list, in order ({id, title, name, section, collapsed, ...}) */
  render(charts) {
    // a live run that logs a new key rebuilds the sections: each keeps the page it was on
    const pages = new Map(this.groups.map(x => [`${x.collapsed}|${x.section}`, x.page]));
    this.groups.forEach(x => this.clear(x));
    this.box.textContent = "";
    this.groups = [];
    let g = null;
    for (const c of charts) {
      if (!g || c.section !== g.section || g.collapsed !== !!c.collapsed) {
        g = this.group(c.section, !!c.collapsed);
        g.page = pages.get(`${g.collapsed}|${g.section}`) || 0;
        this.groups.push(g);
      }
      g.charts.push(c);
    }
    // the first pages of every open section load together: beyond 40 charts, as they scroll into view
    const made = this.groups.filter(x => !x.collapsed).flatMap(x => this.fill(x, false));
    observeCharts(made);
  }

  group(section, collapsed) {
    const details = RL.el("details", {class: "section", open: !collapsed, "data-section": section,
                                      "data-collapsed": String(collapsed)}, [RL.el("summary", {text: section || "Charts"})]);
    const grid = RL.el("div", {class: "chart-grid"});
    const pager = RL.el("nav", {class: "pager section-pager", "aria-label": `pages of ${section || "Charts"}`, hidden: true});
    details.append(grid, pager);
    this.box.appendChild(details);
    const g = {section, collapsed, details, grid, pager, charts: [], built: [], page: 0, filled: false};
    if (collapsed) {
      details.addEventListener("toggle", function onToggle() {
        if (!details.open) return;
        details.removeEventListener("toggle", onToggle);
        observeCharts(g.self.fill(g, false));
      });
    }
    g.self = this;
    return g;
  }

  clear(g) {
    g.built.forEach(ch => { ch.seq++; if (window.Plotly && ch.drawn) Plotly.purge(ch.plotEl); this.drop(ch); });
    g.built = [];
    g.grid.textContent = "";
  }

  /* builds page g.page of g's matching charts; returns them (loaded by the caller unless ``load``) */
  fill(g, load = true) {
    this.clear(g);
    g.filled = true;
    const match = g.charts.filter(c => this.test(c.name || c.title));
    const pages = Math.max(1, Math.ceil(match.length / this.pageSize));
    g.page = Math.min(Math.max(0, g.page), pages - 1);
    const shown = match.slice(g.page * this.pageSize, (g.page + 1) * this.pageSize);
    g.built = shown.map(c => this.make(g.grid, c));
    g.details.dataset.count = g.details.firstElementChild.dataset.count = String(match.length);   // summary: its "(n)"
    g.details.dataset.page = String(g.page);
    g.details.hidden = !match.length && match.length !== g.charts.length;   // the filter left none
    this.renderPager(g, pages, match.length);
    if (load) observeCharts(g.built);
    return g.built;
  }

  renderPager(g, pages, total) {
    g.pager.textContent = "";
    g.pager.hidden = pages <= 1;
    if (pages <= 1) return;
    const go = p => () => { g.page = p; this.fill(g); g.details.scrollIntoView({block: "nearest"}); };
    const a = g.page * this.pageSize + 1, b = Math.min(total, a + this.pageSize - 1);
    g.pager.append(
      RL.el("button", {type: "button", class: "page-prev", disabled: g.page === 0, onclick: go(g.page - 1), text: "‹ previous"}),
      RL.el("span", {class: "muted page-of", text: `charts ${a.toLocaleString()}–${b.toLocaleString()} of ${total.toLocaleString()}`}),
      RL.el("button", {type: "button", class: "page-next", disabled: g.page >= pages - 1, onclick: go(g.page + 1), text: "next ›"}));
  }

  /* the filter changed: every built section starts again at its first matching page */
  refilter() {
    this.groups.forEach(g => {
      g.page = 0;
      if (g.filled) this.fill(g);
      else {
        const n = g.charts.filter(c => this.test(c.name || c.title)).length;
        g.details.dataset.count = g.details.firstElementChild.dataset.count = String(n);
        g.details.hidden = !n && n !== g.charts.length;
      }
    });
  }
}
