/* "Copy embed code" for task charts, plots and debug samples.

   ringlogEmbedCode(params) -> '<iframe src="/widgets/?..." width="100%" height="400"></iframe>'
     params: { type: "scalar"|"plot"|"single"|"sample"|"parcoords", objects: id or [ids],
               metrics: name or [names], variants: name or [names], xaxis: "iter"|"timestamp"|"iso_time",
               light: bool, height: px, plus dynamic-query keys (project, "tags[]", "order_by[]",
               page_size, page, value_type); array values of "key[]" keys are joined with commas }
   ringlogCopyEmbed(params) -> Promise (copies the snippet to the clipboard)

   Any element with data-ringlog-embed='{"type":"scalar","objects":["<id>"],"metrics":"loss"}'
   copies its snippet when clicked (and flashes "copied" in its title). An ES module: importing it
   installs that click handler once. */
var ORDER = ["type", "objectType", "objects", "xaxis", "metrics", "variants"];

function asList(v) { return v === undefined || v === null || v === "" ? [] : (Array.isArray(v) ? v : [v]); }

export function ringlogEmbedCode(params) {
  var p = Object.assign({ objectType: "task", xaxis: "iter" }, params || {});
  var height = parseInt(p.height, 10) || 400;
  var light = !!p.light;
  delete p.height;
  delete p.light;
  var q = new URLSearchParams();
  var keys = ORDER.filter(function (k) { return k in p; })
    .concat(Object.keys(p).filter(function (k) { return ORDER.indexOf(k) < 0; }));
  keys.forEach(function (k) {
    var values = asList(p[k]).map(String);
    if (!values.length) { return; }
    if (k.slice(-2) === "[]") { q.append(k, values.join(",")); }
    else { values.forEach(function (v) { q.append(k, v); }); }
  });
  if (light) { q.append("light", "true"); }
  var src = "/widgets/?" + q.toString().replace(/\+/g, "%20");
  return '<iframe src="' + src.replace(/&/g, "&amp;").replace(/"/g, "&quot;") + '" width="100%" height="' + height + '"></iframe>';
}

function copy(text) {
  if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
  var area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
  return Promise.resolve();
}

export function ringlogCopyEmbed(params) { return copy(ringlogEmbedCode(params)); }

document.addEventListener("click", function (ev) {
  var button = ev.target.closest ? ev.target.closest("[data-ringlog-embed]") : null;
  if (!button) { return; }
  ev.preventDefault();
  var params;
  try { params = JSON.parse(button.getAttribute("data-ringlog-embed")); } catch (e) { return; }
  ringlogCopyEmbed(params).then(function () {
    var old = button.getAttribute("title") || "";
    button.setAttribute("title", "Embed code copied: paste it into a report");
    button.classList.add("rl-copied");
    setTimeout(function () { button.setAttribute("title", old); button.classList.remove("rl-copied"); }, 2000);
  });
});
