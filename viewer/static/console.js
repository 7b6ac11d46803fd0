/* Console tab (issue 19, item 7): ANSI colours (ansi.js), a line number and, on demand, the local
   time of every line (drawn from data attributes by CSS, so copying the text copies only the text),
   search that highlights matches with <mark> elements around text nodes (never HTML), steps
   through them with Enter / Shift+Enter and can hide the other lines, and the whole console as a
   text file (/api/tasks/<id>/console.txt). An ES module. */
import {ansiNodes} from "./ansi.js";
import {RL} from "./common.js";

function clock(ts) {
  if (typeof ts !== "number") return "";
  const d = new Date(ts * 1000);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function consoleView(task) {
  const pre = document.getElementById("console");
  const search = document.getElementById("console-filter");
  const only = document.getElementById("console-only");
  const count = document.getElementById("console-count");
  const times = document.getElementById("console-times");
  const st = {next: 0, ansi: {}, n: 0, marks: [], at: -1};
  document.getElementById("console-zone").textContent =
    "times in " + (Intl.DateTimeFormat().resolvedOptions().timeZone || "local time");
  const dl = document.getElementById("console-download");
  dl.href = `/api/tasks/${encodeURIComponent(task)}/console.txt`;

  async function load() {
    for (let guard = 0; guard < 50; guard++) {
      const {data} = await RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/console?since=${st.next}`);
      const frag = document.createDocumentFragment();
      for (const l of data.lines) {
        const cls = "line " + (l.stream || "") + " lvl-" + (l.level || "");
        const text = String(l.text ?? "");
        // ANSI colours become classed spans (ansi.js: textContent only); other escapes are dropped
        const line = RL.el("span", {class: cls, title: RL.fmtTime(l.time), "data-n": ++st.n, "data-time": clock(l.time)},
                           ansiNodes(text.endsWith("\n") ? text : text + "\n", st.ansi));
        if (search.value) highlight(line, search.value.toLowerCase());
        frag.appendChild(line);
      }
      pre.appendChild(frag);
      st.next = data.next;
      if (!data.more) break;
    }
    pre.classList.toggle("numbered", st.n > 0);
    if (search.value) collect(); else applyOnly();
    if (document.getElementById("console-follow").checked && !search.value) pre.scrollTop = pre.scrollHeight;
    if (!st.n) pre.dataset.empty = "No console output was captured.";
  }

  /* wrap each case-insensitive match of q inside the line's text nodes in a <mark> */
  function highlight(line, q) {
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    for (const node of nodes) {
      const text = node.nodeValue, low = text.toLowerCase();
      let i = low.indexOf(q);
      if (i < 0) continue;
      const frag = document.createDocumentFragment();
      let from = 0;
      while (i >= 0) {
        if (i > from) frag.appendChild(document.createTextNode(text.slice(from, i)));
        frag.appendChild(RL.el("mark", {text: text.slice(i, i + q.length)}));
        from = i + q.length;
        i = low.indexOf(q, from);
      }
      if (from < text.length) frag.appendChild(document.createTextNode(text.slice(from)));
      node.replaceWith(frag);
    }
  }

  function clear() {
    for (const m of pre.querySelectorAll("mark")) m.replaceWith(document.createTextNode(m.textContent));
    pre.normalize();
  }

  function collect() {
    st.marks = [...pre.querySelectorAll("mark")];
    applyOnly();
    const q = search.value;
    count.textContent = !q ? "" : st.marks.length ? `${Math.max(st.at, 0) + 1} of ${st.marks.length}` : "no match";
  }

  function applyOnly() {
    const q = search.value.toLowerCase();
    pre.querySelectorAll("span.line").forEach(s => {
      s.hidden = only.checked && q !== "" && !s.textContent.toLowerCase().includes(q);
    });
  }

  function run() {
    clear();
    const q = search.value.toLowerCase();
    if (q) pre.querySelectorAll("span.line").forEach(s => highlight(s, q));
    st.at = -1;
    collect();
    if (st.marks.length) step(1);
  }

  function step(d) {
    if (!st.marks.length) return;
    if (st.at >= 0) st.marks[st.at].classList.remove("current");
    st.at = (st.at + d + st.marks.length) % st.marks.length;
    const m = st.marks[st.at];
    m.classList.add("current");
    m.scrollIntoView({block: "center"});
    count.textContent = `${st.at + 1} of ${st.marks.length}`;
  }

  search.addEventListener("input", run);
  search.addEventListener("keydown", e => { if (e.key === "Enter") { e.preventDefault(); step(e.shiftKey ? -1 : 1); } });
  only.addEventListener("change", applyOnly);
  times.addEventListener("change", () => pre.classList.toggle("with-time", times.checked));
  return {load};
}
