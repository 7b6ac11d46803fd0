/* Reports list and report page: actions on report cards (rename, share, tags, move, publish,
   archive, delete, copy Markdown) through the JSON API. No inline script: data comes from
   data-* attributes. An ES module: exports {api, flash, copyText} for the editor (no globals). */
export const ringlogReports = (function () {

  function flash(message, bad) {
    var box = document.getElementById("rl-flash");
    if (!box) { return; }
    box.textContent = message;
    box.classList.toggle("rl-bad", !!bad);
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { box.hidden = true; }, bad ? 8000 : 3000);
  }

  /* fetch JSON; rejects with the server's message (error.message) on a non-2xx answer */
  function api(method, url, body) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var err = new Error((data.error && data.error.message) || ("HTTP " + resp.status));
          err.status = resp.status;
          err.data = data.error || {};
          throw err;
        }
        return data;
      });
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }

  function base(id) { return "/api/reports/" + encodeURIComponent(id); }
  function reload() { window.location.reload(); }
  function fail(err) { flash(err.message, true); }

  var actions = {
    "rename": function (card, id) {
      var name = window.prompt("New name", card.dataset.name || "");
      if (name === null || !name.trim()) { return; }
      api("POST", base(id) + "/rename", { name: name, version: +card.dataset.version }).then(reload, fail);
    },
    "describe": function (card, id) {
      api("GET", base(id)).then(function (doc) {
        var text = window.prompt("Description (shown on the report card, searchable)", doc.description || "");
        if (text === null) { return null; }
        return api("PATCH", base(id), { description: text, version: doc.version }).then(reload);
      }).catch(fail);
    },
    "share": function (card, id) {
      api("GET", base(id) + "/share").then(function (d) {
        return copyText(d.url).then(function () { flash("Link copied: " + d.url); });
      }).catch(fail);
    },
    "add-tag": function (card, id) {
      var raw = window.prompt("Tags to add (comma separated)");
      if (!raw) { return; }
      var tags = raw.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
      api("POST", base(id) + "/tags", { add: tags }).then(reload, fail);
    },
    "remove-tag": function (card, id, button) {
      api("POST", base(id) + "/tags", { remove: [button.dataset.tag] }).then(reload, fail);
    },
    "move": function (card, id) {
      var project = window.prompt("Move to project (created if it does not exist)", card.dataset.project || "");
      if (project === null || !project.trim()) { return; }
      api("POST", base(id) + "/move", { project: project }).then(reload, fail);
    },
    "publish": function (card, id) {
      if (!window.confirm("Publish this report? Published reports are locked against further edits.")) { return; }
      api("POST", base(id) + "/publish", { version: +card.dataset.version }).then(reload, fail);
    },
    "archive": function (card, id) { api("POST", base(id) + "/archive", {}).then(reload, fail); },
    "unarchive": function (card, id) { api("POST", base(id) + "/unarchive", {}).then(reload, fail); },
    "delete": function (card, id) {
      if (!window.confirm("Delete this report and its images for good?")) { return; }
      api("DELETE", base(id)).then(function () {
        if (document.body.classList.contains("rl-report-page")) { window.location.href = "/reports"; } else { reload(); }
      }, fail);
    },
    "copy-markdown": function (card, id) {
      fetch(base(id) + "/markdown", { credentials: "same-origin" }).then(function (r) { return r.text(); })
        .then(copyText).then(function () { flash("Markdown copied to the clipboard"); }).catch(fail);
    }
  };

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-action]");
    if (!button || button.dataset.action === "pdf") { return; }  // plain download links
    var card = button.closest("[data-report-id]");
    var run = actions[button.dataset.action];
    if (!card || !run) { return; }
    ev.preventDefault();
    var menu = button.closest("details.rl-menu");
    if (menu) { menu.open = false; }
    run(card, card.dataset.reportId, button);
  });

  /* times: server renders UTC; show the reader's local time */
  document.querySelectorAll("time.rl-time[data-ts]").forEach(function (el) {
    var d = new Date(parseFloat(el.dataset.ts) * 1000);
    if (!isNaN(d)) { el.title = el.textContent; el.textContent = d.toLocaleString(); }
  });

  /* + New report */
  var dialog = document.getElementById("rl-new-dialog");
  var openBtn = document.getElementById("rl-new");
  if (dialog && openBtn) {
    openBtn.addEventListener("click", function () { dialog.showModal(); });
    document.getElementById("rl-new-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("rl-new-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target;
      var errBox = document.getElementById("rl-new-error");
      api("POST", "/api/reports", {
        name: f.elements.name.value, project: f.elements.project.value,
        description: f.elements.description.value,
        tags: f.elements.tags.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean),
        markdown: "# " + f.elements.name.value + "\n\n"
      }).then(function (doc) {
        window.location.href = doc.url + "/edit";
      }, function (err) { errBox.textContent = err.message; errBox.hidden = false; });
    });
  }

  return { api: api, flash: flash, copyText: copyText };
}());
