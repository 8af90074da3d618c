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

    // Copy buttons: <button data-copy="#selector">.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target || !navigator.clipboard) { return; }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          var label = button.textContent;
          button.textContent = "Copié ✓";
          window.setTimeout(function () { button.textContent = label; }, 1500);
        }, function () { /* clipboard refused: the text stays selectable */ });
      });
    });
  });
})();
