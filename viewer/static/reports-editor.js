/* Side-by-side Markdown editor: live preview (debounced server render, the same sanitizer as the
   report page), save with the version the editor loaded (a stale version answers 409 and the
   editor says so instead of overwriting), image upload into the report's storage, Ctrl+S. */
import { ringlogReports } from "./reports.js";
import { widgetPicker } from "./widget-picker.js";

(function () {
  var root = document.querySelector(".rl-editor");
  if (!root) { return; }
  var R = ringlogReports;
  var id = root.dataset.reportId;
  var version = +root.dataset.version;
  var source = document.getElementById("rl-source");
  var preview = document.getElementById("rl-preview");
  var state = document.getElementById("rl-save-state");
  var errorBox = document.getElementById("rl-editor-error");
  var saved = source.value;
  var lastHtml = null;
  var timer = null;
  var seq = 0;

  function showError(message) { errorBox.textContent = message; errorBox.hidden = !message; }
  function dirty() { return source.value !== saved; }
  function showState() { state.textContent = (dirty() ? "unsaved changes" : "saved") + " · version " + version; }

  function refreshPreview() {
    var mine = ++seq;
    R.api("POST", "/api/reports/preview", { markdown: source.value }).then(function (d) {
      if (mine !== seq || d.html === lastHtml) { return; }
      lastHtml = d.html;
      preview.innerHTML = d.html;  /* sanitized on the server (nh3 allow-list) */
    }).catch(function (err) { showError(err.message); });
  }

  source.addEventListener("input", function () {
    showState();
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 300);
  });

  function save() {
    var text = source.value;
    R.api("PATCH", "/api/reports/" + encodeURIComponent(id), { markdown: text, version: version }).then(function (doc) {
      version = doc.version;
      root.dataset.version = String(version);
      saved = text;
      showError("");
      showState();
      R.flash("Saved (version " + version + ")");
    }, function (err) {
      if (err.status === 409) {
        showError(err.message + " — your text is still here: copy it, reload the page, and merge.");
      } else {
        showError(err.message);
      }
    });
  }
  document.getElementById("rl-save").addEventListener("click", save);
  document.addEventListener("keydown", function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty()) { ev.preventDefault(); ev.returnValue = ""; }
  });

  /* upload one image file into the report's storage and insert its Markdown at the cursor */
  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name || "pasted.png");
    state.textContent = "uploading " + (file.name || "image") + "…";
    return fetch("/api/reports/" + encodeURIComponent(id) + "/assets", { method: "POST", body: form, credentials: "same-origin" })
      .then(function (resp) {
        return resp.json().then(function (d) {
          if (!resp.ok) { throw new Error((d.error && d.error.message) || ("HTTP " + resp.status)); }
          return d;
        });
      }).then(function (d) {
        var at = source.selectionStart || source.value.length;
        source.setRangeText("\n" + d.markdown + "\n", at, at, "end");
        source.dispatchEvent(new Event("input"));
      }).catch(function (err) { showError(err.message); showState(); });
  }
  function imagesOf(list) {
    return Array.prototype.filter.call(list || [], function (f) { return f && /^image\//.test(f.type); });
  }

  document.getElementById("rl-image").addEventListener("change", function (ev) {
    var file = ev.target.files[0];
    if (file) { upload(file).finally(function () { ev.target.value = ""; }); }
  });
  source.addEventListener("paste", function (ev) {
    var files = imagesOf(ev.clipboardData && ev.clipboardData.files);
    if (files.length) { ev.preventDefault(); files.forEach(upload); }
  });
  source.addEventListener("dragover", function (ev) {
    if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0) { ev.preventDefault(); }
  });
  source.addEventListener("drop", function (ev) {
    var files = imagesOf(ev.dataTransfer && ev.dataTransfer.files);
    if (files.length) { ev.preventDefault(); files.forEach(upload); }
  });

  if (root.dataset.status === "published") {
    source.readOnly = true;
    showError("This report is published and locked against edits.");
  }
  widgetPicker(source);
  showState();
}());
