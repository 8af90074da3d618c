/* Hosted form builder: edits the definition JSON of the textarea through a visual list of
   screens and fields (add, reorder, edit, delete). Without JavaScript the JSON stays editable. */
(function () {
  "use strict";
  var root = document.getElementById("builder");
  var area = document.getElementById("definition");
  if (!root || !area) return;
  var kinds = (root.getAttribute("data-kinds") || "").split(";").filter(Boolean).map(function (pair) {
    var i = pair.indexOf("="); return [pair.slice(0, i), pair.slice(i + 1)];
  });
  var stepKinds = [["question", "Questions"], ["info", "Information"], ["disqualification", "Non éligible"], ["thank_you", "Remerciement"]];
  var withOptions = { cards: 1, multiple_choice: 1, brackets: 1 };
  var def;
  try { def = JSON.parse(area.value); } catch (e) { return; }
  var editable = !area.readOnly;
  var uid = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function save() { area.value = JSON.stringify(def, null, 2); area.dispatchEvent(new Event("input", { bubbles: true })); }
  function input(label, value, onchange, type) {
    var id = "b" + (++uid);
    var field = type === "textarea" ? el("textarea", { id: id, rows: "2" }) : el("input", { id: id, type: type || "text" });
    field.value = value || "";
    if (!editable) field.disabled = true;
    field.addEventListener("input", function () { onchange(field.value); save(); });
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), field]);
  }
  function select(label, options, value, onchange) {
    var id = "b" + (++uid);
    var s = el("select", { id: id });
    options.forEach(function (o) { var opt = new Option(o[1], o[0]); opt.selected = o[0] === value; s.add(opt); });
    if (!editable) s.disabled = true;
    s.addEventListener("change", function () { onchange(s.value); save(); draw(); });
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), s]);
  }
  function check(label, value, onchange) {
    var id = "b" + (++uid);
    var box = el("input", { id: id, type: "checkbox" });
    box.checked = value;
    if (!editable) box.disabled = true;
    box.addEventListener("change", function () { onchange(box.checked); save(); });
    return el("div", { "class": "field checkbox" }, [box, el("label", { "for": id, text: label })]);
  }
  function tools(list, index, name) {
    if (!editable) return null;
    function move(delta) {
      var j = index + delta; if (j < 0 || j >= list.length) return;
      var item = list.splice(index, 1)[0]; list.splice(j, 0, item); save(); draw();
    }
    return el("div", { "class": "builder-tools" }, [
      el("button", { type: "button", "class": "button small secondary", "aria-label": "Monter " + name, text: "↑", onclick: function () { move(-1); } }),
      el("button", { type: "button", "class": "button small secondary", "aria-label": "Descendre " + name, text: "↓", onclick: function () { move(1); } }),
      el("button", { type: "button", "class": "button small danger", "aria-label": "Supprimer " + name, text: "Supprimer", onclick: function () {
        if (window.confirm("Supprimer " + name + " ?")) { list.splice(index, 1); save(); draw(); }
      } })
    ]);
  }
  function optionsText(field) {
    return (field.options || []).map(function (o) { return [o.value, o.label, o.icon || o.image || ""].join(" | ").replace(/ \| $/, ""); }).join("\n");
  }
  function parseOptions(text) {
    return text.split("\n").map(function (line) { return line.split("|").map(function (p) { return p.trim(); }); })
      .filter(function (p) { return p[0]; }).map(function (p) {
        var o = { value: p[0], label: p[1] || p[0] };
        if (p[2]) { if (/^(https?:)?\//.test(p[2])) o.image = p[2]; else o.icon = p[2]; }
        return o;
      });
  }
  function drawField(step, field, index) {
    var name = "le champ « " + (field.label || field.id) + " »";
    var box = el("fieldset", { "class": "builder-field" }, [
      el("legend", { text: "Champ " + (index + 1) + " — " + (kinds.filter(function (k) { return k[0] === field.kind; })[0] || ["", field.kind])[1] }),
      tools(step.fields, index, name),
      input("Identifiant (stable, sert dans les règles et le lead)", field.id, function (v) { field.id = v; }),
      select("Type", kinds, field.kind, function (v) { field.kind = v; if (withOptions[v] && !field.options) field.options = []; }),
      input("Libellé", field.label, function (v) { field.label = v; }),
      input("Aide (facultatif)", field.help, function (v) { field.help = v || undefined; }),
      check("Obligatoire", field.required !== false, function (v) { field.required = v; }),
      input("Champ du lead (facultatif : code_postal, type_logement…)", field.maps, function (v) { field.maps = v || undefined; })
    ]);
    if (withOptions[field.kind]) {
      box.appendChild(input("Choix : une ligne « valeur | libellé | icône ou image »", optionsText(field), function (v) { field.options = parseOptions(v); }, "textarea"));
      box.appendChild(el("p", { "class": "muted small", text: "Icônes : " + root.getAttribute("data-icons") }));
    }
    return box;
  }
  function drawStep(step, index) {
    var name = "l'écran « " + (step.title || step.id) + " »";
    var card = el("section", { "class": "builder-step", "aria-label": "Écran " + (index + 1) }, [
      el("h3", { text: "Écran " + (index + 1) + " · " + (step.title || step.id) }),
      tools(def.steps, index, name),
      input("Identifiant", step.id, function (v) { step.id = v; }),
      select("Type d'écran", stepKinds, step.kind || "question", function (v) { step.kind = v; if (v !== "question") step.fields = []; }),
      input("Titre", step.title, function (v) { step.title = v; }),
      input("Texte (facultatif)", step.text, function (v) { step.text = v || undefined; }, "textarea")
    ]);
    (step.fields || []).forEach(function (field, i) { card.appendChild(drawField(step, field, i)); });
    if (editable && (step.kind || "question") === "question") {
      card.appendChild(el("button", { type: "button", "class": "button small secondary", text: "Ajouter un champ", onclick: function () {
        step.fields = step.fields || [];
        step.fields.push({ id: "champ_" + (step.fields.length + 1) + "_" + index, kind: "cards", label: "Nouvelle question", options: [{ value: "a", label: "Choix A" }, { value: "b", label: "Choix B" }] });
        save(); draw();
      } }));
    }
    var rules = JSON.stringify(step.logic || []);
    card.appendChild(input("Règles (JSON : conditions all/any, actions jump, disqualify, set, require)", rules === "[]" ? "" : rules, function (v) {
      try { step.logic = v.trim() ? JSON.parse(v) : []; } catch (e) { /* kept as typed until valid */ }
    }, "textarea"));
    return card;
  }
  function draw() {
    root.innerHTML = "";
    def.steps.forEach(function (step, i) { root.appendChild(drawStep(step, i)); });
    if (editable) {
      root.appendChild(el("button", { type: "button", "class": "button secondary", text: "Ajouter un écran", onclick: function () {
        var n = def.steps.length + 1;
        var at = def.steps.findIndex(function (s) { return s.kind === "disqualification" || s.kind === "thank_you"; });
        var step = { id: "ecran_" + n, title: "Nouvel écran", fields: [{ id: "question_" + n, kind: "cards", label: "Nouvelle question", options: [{ value: "a", label: "Choix A" }, { value: "b", label: "Choix B" }] }] };
        if (at < 0) def.steps.push(step); else def.steps.splice(at, 0, step);
        save(); draw();
      } }));
    }
  }
  area.addEventListener("change", function () { try { def = JSON.parse(area.value); draw(); } catch (e) { /* invalid JSON: the server says where */ } });
  draw();

  // Preview: phone or desktop width, and the screen shown.
  var frame = document.getElementById("preview");
  if (frame) {
    var base = frame.getAttribute("src");
    document.querySelectorAll("[data-preview-width]").forEach(function (button) {
      button.addEventListener("click", function () {
        frame.width = button.getAttribute("data-preview-width");
        document.querySelectorAll("[data-preview-width]").forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      });
    });
    var stepSelect = document.querySelector("[data-preview-step]");
    if (stepSelect) stepSelect.addEventListener("change", function () { frame.src = base + "?step=" + encodeURIComponent(stepSelect.value); });
  }
  // Leaving with unsaved changes.
  var dirty = false;
  area.addEventListener("input", function () { dirty = true; });
  document.getElementById("builder-form").addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
})();
