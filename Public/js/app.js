// LeadHub back office: small progressive enhancements. Every page works without it.
(function () {
  "use strict";

  // Confirm destructive actions: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The CRM switcher submits itself when changed.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // Colour swatches (set here: the content security policy forbids inline styles).
    document.querySelectorAll(".swatch[data-color]").forEach(function (swatch) {
      var color = swatch.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{3,6}$/.test(color)) { swatch.style.backgroundColor = color; }
    });

    // "Select all" boxes: <input type="checkbox" data-select-all="name">.
    document.querySelectorAll("input[data-select-all]").forEach(function (master) {
      master.addEventListener("change", function () {
        var name = master.getAttribute("data-select-all");
        document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
          box.checked = master.checked;
        });
      });
    });

    // Bulk actions ask before acting on the selection.
    document.querySelectorAll("[data-confirm-bulk]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var form = button.form;
        var selected = form.querySelectorAll('input[name="ids[]"]:checked').length;
        if (selected === 0) { event.preventDefault(); window.alert("Sélectionnez au moins un lead."); return; }
        if (!window.confirm(button.getAttribute("data-confirm-bulk") + " (" + selected + ")")) { event.preventDefault(); }
      });
    });

    // Département pickers: <button data-departements="75 92" data-target="#id"> adds codes to a
    // textarea; data-departements="" empties it. Codes stay sorted and unique.
    document.querySelectorAll("button[data-departements]").forEach(function (button) {
      button.addEventListener("click", function () {
        var area = document.querySelector(button.getAttribute("data-target"));
        if (!area) { return; }
        var add = button.getAttribute("data-departements").split(/\s+/).filter(Boolean);
        var codes = add.length === 0 ? [] : area.value.split(/[\s,;]+/).filter(Boolean).concat(add);
        var unique = codes.map(function (c) { return c.toUpperCase(); })
          .filter(function (c, i, all) { return all.indexOf(c) === i; });
        unique.sort(function (a, b) {
          var key = function (c) { return c === "2A" ? 20.1 : c === "2B" ? 20.2 : parseInt(c, 10); };
          return key(a) - key(b);
        });
        area.value = unique.join(" ");
      });
    });

    // Copy buttons: <button data-copy="#selector">. The clipboard API needs HTTPS (or
    // localhost); elsewhere the text is selected and copied the old way.
    var copied = function (button) {
      var label = button.textContent;
      button.textContent = "Copié ✓";
      window.setTimeout(function () { button.textContent = label; }, 1500);
    };
    var copyBySelection = function (target, button) {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { if (document.execCommand("copy")) { copied(button); } } catch (e) { /* the text stays selected */ }
    };
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target) { return; }
        if (!navigator.clipboard || !window.isSecureContext) { copyBySelection(target, button); return; }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () { copied(button); },
          function () { copyBySelection(target, button); });
      });
    });

    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });

    // "Vérifier l'intégration": refreshed every 10 s while the page is visible.
    var check = document.querySelector("[data-check-url]");
    if (check) {
      var fill = function (selector, rows, empty) {
        var body = check.querySelector(selector);
        while (body.firstChild) { body.removeChild(body.firstChild); }
        rows.forEach(function (row) {
          var tr = document.createElement("tr");
          row.cells.forEach(function (cell) {
            var td = document.createElement("td");
            td.textContent = cell;
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
        check.querySelector(empty).hidden = rows.length > 0;
      };
      var refresh = function () {
        if (document.visibilityState === "hidden") { return; }
        fetch(check.getAttribute("data-check-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
          .then(function (data) {
            var c = data.counts;
            check.querySelector("[data-check-counts]").textContent =
              c.visits + " visites, " + c.cta_clicks + " clics CTA, " + c.form_starts + " démarrages, " + c.leads + " leads";
            var status = check.querySelector("[data-check-status]");
            while (status.firstChild) { status.removeChild(status.firstChild); }
            if (data.ok) {
              var p = document.createElement("p");
              p.className = "flash info";
              p.textContent = "Tout arrive : rien ne manque.";
              status.appendChild(p);
            } else {
              var ul = document.createElement("ul");
              ul.className = "check-missing";
              data.missing.forEach(function (line) {
                var li = document.createElement("li");
                li.textContent = line;
                ul.appendChild(li);
              });
              status.appendChild(ul);
            }
            fill("[data-check-events]", data.events, "[data-check-events-empty]");
            fill("[data-check-leads]", data.leads, "[data-check-leads-empty]");
            check.querySelector("[data-check-time]").textContent = "dernière vérification " + new Date().toLocaleTimeString("fr-FR");
          })["catch"](function () { /* offline or signed out: the last figures stay */ });
      };
      window.setInterval(refresh, 10000);
    }
  });
})();
