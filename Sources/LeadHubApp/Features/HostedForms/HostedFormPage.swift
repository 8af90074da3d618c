import Foundation
import LeadHubCore

/// The HTML of a hosted form's screen, written directly (no template engine: this is a public
/// page on the hot path, a few kilobytes, served in well under a millisecond). One screen per
/// page, a real `<form>` that works without JavaScript; the small inline script only makes it
/// faster (no reload), sends the iframe events and fills the commune list.
struct HostedFormPage {
    enum Mode {
        /// A screen to answer.
        case step
        case disqualified
        case completed
    }

    var runtime: HostedFormRuntime
    var definition: FormDefinition
    var step: FormStep
    var mode: Mode = .step
    var answers = FormAnswers()
    /// What was posted, shown again with the errors.
    var posted: [String: [String]]? = nil
    var errors = FieldErrors()
    /// A message above the fields (a refused lead).
    var notice: String? = nil
    /// The session's token, once the visitor has answered a first screen.
    var token: String? = nil
    /// Carried until the session exists: hidden parameters, visitor and session ids, LP code.
    var carried: [String: String] = [:]
    var action: String
    var communes: FormFlow.Communes
    /// The back office's preview: nothing is saved, no tag runs.
    var preview = false
    /// An address to send the visitor to (a thank-you page), read by the script.
    var redirect: String? = nil

    static let esc = HTMLText.escape

    /// A page rendered once with a hole where a visitor's carried parameters go.
    struct Split: Sendable {
        let before: String
        let after: String

        func render(carried: [String: String]) -> String {
            before + HostedFormPage.carriedInputs(carried) + after
        }
    }

    /// Stands for the carried inputs while rendering a `Split` (a control character: no escaped
    /// text can contain it).
    private static let carriedHole = "\u{1}carried\u{1}"

    /// The first screen of the published definition with no answer yet, as every first visit
    /// gets it (the public page's hot path: a concatenation instead of a rendering).
    static func firstScreen(of runtime: HostedFormRuntime) -> Split? {
        guard let first = runtime.definition.firstStep else { return nil }
        var page = HostedFormPage(
            runtime: runtime, definition: runtime.definition, step: first,
            action: HostedFormController.action(runtime), communes: { _ in [] })
        page.holeForCarried = true
        let parts = page.render().components(separatedBy: carriedHole)
        guard parts.count == 2 else { return nil }
        return Split(before: parts[0], after: parts[1])
    }

    /// Rendering a `Split`: the carried inputs are left as a hole.
    var holeForCarried = false

    static func carriedInputs(_ carried: [String: String]) -> String {
        var h = ""
        for (name, value) in carried.sorted(by: { $0.key < $1.key }) {
            h += "<input type=\"hidden\" name=\"_c." + esc(name) + "\" value=\"" + esc(value) + "\">"
        }
        return h
    }

    func render() -> String {
        let b = runtime.branding
        let flow = definition.steps.filter(\.kind.isQuestionFlow)
        let position = definition.position(of: step.id) ?? (mode == .step ? 1 : flow.count)
        var h = ""
        h.reserveCapacity(12_000)
        h += "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
        h += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        h += "<meta name=\"robots\" content=\"noindex\">"
        h += "<title>" + Self.esc(step.title + " – " + b.accountName) + "</title>"
        // The account's icon; without one, an empty icon (no LeadHub branding on the account's
        // form, and no /favicon.ico request answered 404).
        let favicon = HostedFormService.safeURL(b.faviconURL) ?? "data:,"
        h += "<link rel=\"icon\" href=\"" + Self.esc(favicon) + "\">"
        h +=
            "<style>:root{--p:" + b.primaryColor + ";--pt:" + Self.textColor(on: b.primaryColor) + ";--s:"
            + b.secondaryColor + "}" + Self.css + "</style>"
        if !preview, let head = b.gtmHead, !head.isEmpty { h += head }
        h += "</head><body><div class=\"hf-wrap\"><header class=\"hf-head\">"
        if let logo = HostedFormService.safeURL(b.logoURL) {
            h += "<img src=\"" + Self.esc(logo) + "\" alt=\"" + Self.esc(b.accountName) + "\" height=\"40\">"
        } else {
            h += "<span class=\"hf-brand\">" + Self.esc(b.accountName) + "</span>"
        }
        h += "</header>"
        let state = mode == .step ? "step" : mode == .completed ? "completed" : "disqualified"
        h +=
            "<main id=\"hf\" data-form=\"" + Self.esc(runtime.code) + "\" data-step=\"" + Self.esc(step.id)
            + "\" data-position=\"\(position)\" data-total=\"\(flow.count)\" data-state=\"" + state + "\""
        if let redirect { h += " data-redirect=\"" + Self.esc(redirect) + "\"" }
        h += ">"
        if preview { h += "<p class=\"hf-preview\">Aperçu : rien n'est enregistré.</p>" }
        if mode == .step {
            let percent = flow.isEmpty ? 0 : (position - 1) * 100 / flow.count
            h += "<div class=\"hf-progress\"><span style=\"width:\(percent)%\"></span></div>"
            h += "<p class=\"hf-count\">Étape \(position) sur \(flow.count)</p>"
            h += "<form method=\"" + (preview ? "get" : "post") + "\" action=\"" + Self.esc(action) + "\" novalidate"
            if step.advancesOnChoice { h += " class=\"hf-auto\"" }
            h += ">"
            h += "<h1 id=\"hf-title\" tabindex=\"-1\">" + Self.esc(step.title) + "</h1>"
            if let text = step.text, !text.isEmpty { h += "<p class=\"hf-text\">" + Self.esc(text) + "</p>" }
            h += "<div class=\"hf-alert\" role=\"alert\" aria-live=\"assertive\">"
            if let notice {
                h += "<p>" + Self.esc(notice) + "</p>"
            } else if !errors.isEmpty {
                let count = errors.messages.count
                h += "<p>" + (count == 1 ? "Un champ est à corriger." : "\(count) champs sont à corriger.") + "</p>"
            }
            h += "</div>"
            for field in step.fields { h += render(field, single: step.fields.count == 1) }
            h += hiddenInputs()
            h += "<div class=\"hf-actions\">"
            if position > 1, !preview {
                h +=
                    "<button type=\"submit\" name=\"_back\" value=\"1\" formnovalidate class=\"hf-back\">Retour</button>"
            }
            let last = flow.last?.id == step.id
            let label = last ? (definition.submitLabel ?? "Envoyer ma demande") : "Continuer"
            h += "<button type=\"submit\" class=\"hf-next\">" + Self.esc(label) + "</button></div>"
            h += "</form>"
        } else {
            h += "<h1 id=\"hf-title\" tabindex=\"-1\">" + Self.esc(step.title) + "</h1>"
            if let text = step.text, !text.isEmpty { h += "<p class=\"hf-text\">" + Self.esc(text) + "</p>" }
            if mode == .completed, !preview, let conversion = b.gtmConversion, !conversion.isEmpty { h += conversion }
        }
        h += "</main>" + footer() + "</div>"
        if !preview { h += "<script>" + Self.script + "</script>" }
        h += "</body></html>"
        return h
    }

    private func footer() -> String {
        let b = runtime.branding
        var h = "<footer class=\"hf-foot\">"
        for (title, text) in [
            ("Mentions légales", b.legalMentions), ("Politique de confidentialité", b.privacyPolicy),
            ("Conditions d'utilisation", b.cgu),
        ] {
            guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { continue }
            if let url = HostedFormService.safeURL(text), !text.contains(" ") {
                h += "<a href=\"" + Self.esc(url) + "\" target=\"_blank\" rel=\"noopener\">" + title + "</a>"
            } else {
                h +=
                    "<details><summary>" + title + "</summary><div>"
                    + Self.esc(text).replacingOccurrences(of: "\n", with: "<br>") + "</div></details>"
            }
        }
        return h + "</footer>"
    }

    private func hiddenInputs() -> String {
        var h = "<input type=\"hidden\" name=\"_step\" value=\"" + Self.esc(step.id) + "\">"
        if let token {
            h += "<input type=\"hidden\" name=\"_s\" value=\"" + Self.esc(token) + "\">"
        } else {
            h += holeForCarried ? Self.carriedHole : Self.carriedInputs(carried)
        }
        // Left empty by people; robots that fill every input give themselves away (quality score).
        h +=
            "<div class=\"hf-hp\" aria-hidden=\"true\"><label>Ne pas remplir <input name=\"_website\" tabindex=\"-1\" "
            + "autocomplete=\"off\"></label></div>"
        return h
    }

    // MARK: - Fields

    /// The value to show in an input: what was just posted, else what was answered before.
    private func value(_ input: String) -> [String] {
        if let posted { return posted[input] ?? [] }
        return answers.values(of: input)
    }

    private func error(_ input: String) -> String? { errors.messages[input]?.first }

    private func describedBy(_ input: String, help: Bool) -> String {
        var ids: [String] = []
        if help { ids.append("h-" + input) }
        if error(input) != nil { ids.append("e-" + input) }
        var out = ids.isEmpty ? "" : " aria-describedby=\"" + Self.esc(ids.joined(separator: " ")) + "\""
        if error(input) != nil { out += " aria-invalid=\"true\"" }
        return out
    }

    private func errorLine(_ input: String) -> String {
        guard let message = error(input) else { return "" }
        return "<p class=\"hf-error\" id=\"e-" + Self.esc(input) + "\">" + Self.esc(message) + "</p>"
    }

    private func helpLine(_ field: FormField, _ input: String) -> String {
        guard let help = field.help, !help.isEmpty else { return "" }
        return "<p class=\"hf-help\" id=\"h-" + Self.esc(input) + "\">" + Self.esc(help) + "</p>"
    }

    private func render(_ field: FormField, single: Bool) -> String {
        let id = field.id
        let e = Self.esc
        let required = field.required || answers.required.contains(id)
        let req = required ? " required" : ""
        let optional = required ? "" : " <span class=\"hf-opt\">(facultatif)</span>"
        switch field.kind {
        case .cards, .brackets, .yesNo, .multipleChoice:
            let multiple = field.kind == .multipleChoice
            let chosen = Set(value(id))
            var h = "<fieldset class=\"hf-field\"" + describedBy(id, help: field.help != nil) + ">"
            h += "<legend class=\"" + (single ? "hf-sr" : "hf-legend") + "\">" + e(field.label) + optional + "</legend>"
            h += helpLine(field, id)
            h += "<div class=\"" + (field.kind == .brackets ? "hf-list" : "hf-cards") + "\">"
            for (index, option) in field.choices.enumerated() {
                let inputId = "f-" + id + "-\(index)"
                h +=
                    "<label class=\"hf-card\" for=\"" + e(inputId) + "\"><input type=\""
                    + (multiple ? "checkbox" : "radio") + "\" id=\"" + e(inputId) + "\" name=\"" + e(id)
                    + "\" value=\"" + e(option.value) + "\""
                if chosen.contains(option.value) { h += " checked" }
                if !multiple { h += req }
                h += ">"
                if let image = HostedFormService.safeURL(option.image) {
                    h += "<img src=\"" + e(image) + "\" alt=\"\" loading=\"lazy\" width=\"96\" height=\"64\">"
                } else if let icon = option.icon.flatMap(FormIcon.svg)
                    ?? (field.kind == .yesNo ? FormIcon.svg(option.value) : nil)
                {
                    h += icon
                }
                h += "<span>" + e(option.label) + "</span></label>"
            }
            return h + "</div>" + errorLine(id) + "</fieldset>"
        case .postalCode:
            let code = value(id).first ?? ""
            var h = "<div class=\"hf-field\"><label for=\"f-" + e(id) + "\">" + e(field.label) + optional + "</label>"
            h += helpLine(field, id)
            h +=
                "<input id=\"f-" + e(id) + "\" name=\"" + e(id) + "\" value=\"" + e(code)
                + "\" inputmode=\"numeric\" autocomplete=\"postal-code\" maxlength=\"5\" data-communes=\"" + e(id)
                + ".commune\"" + req + describedBy(id, help: field.help != nil) + ">"
            h += errorLine(id) + "</div>"
            let names = code.count == 5 ? communes(code) : []
            let chosen = value(id + ".commune").first
            let commune = id + ".commune"
            h += "<div class=\"hf-field\" id=\"w-" + e(commune) + "\"" + (names.count > 1 ? "" : " hidden") + ">"
            h +=
                "<label for=\"f-" + e(commune) + "\">Commune</label><select id=\"f-" + e(commune) + "\" name=\""
                + e(commune) + "\"" + describedBy(commune, help: false) + ">"
            if names.count > 1 { h += "<option value=\"\">Choisissez votre commune</option>" }
            for name in names {
                h += "<option" + (name == chosen ? " selected" : "") + ">" + e(name) + "</option>"
            }
            return h + "</select>" + errorLine(commune) + "</div>"
        case .phone, .email, .address:
            let (type, autocomplete, mode) =
                field.kind == .phone
                ? ("tel", "tel-national", "tel")
                : field.kind == .email ? ("email", "email", "email") : ("text", "street-address", "text")
            var h = "<div class=\"hf-field\"><label for=\"f-" + e(id) + "\">" + e(field.label) + optional + "</label>"
            h += helpLine(field, id)
            h +=
                "<input id=\"f-" + e(id) + "\" name=\"" + e(id) + "\" type=\"" + type + "\" inputmode=\"" + mode
                + "\" autocomplete=\"" + autocomplete + "\" value=\"" + e(value(id).first ?? "") + "\"" + req
                + describedBy(id, help: field.help != nil) + ">"
            return h + errorLine(id) + "</div>"
        case .identity:
            let civilite = id + ".civilite"
            var h =
                "<fieldset class=\"hf-field\"><legend class=\"hf-legend\">" + e(field.label) + optional
                + "</legend>"
            h +=
                "<fieldset class=\"hf-inline\"" + describedBy(civilite, help: false)
                + "><legend class=\"hf-sub\">Civilité</legend>"
            for (index, (value, label)) in [("Mme", "Madame"), ("M", "Monsieur")].enumerated() {
                let inputId = "f-" + civilite + "-\(index)"
                h +=
                    "<label class=\"hf-pill\" for=\"" + e(inputId) + "\"><input type=\"radio\" id=\"" + e(inputId)
                    + "\" name=\"" + e(civilite) + "\" value=\"" + value + "\""
                    + (self.value(civilite).first == value ? " checked" : "") + req + "><span>" + label
                    + "</span></label>"
            }
            h += errorLine(civilite) + "</fieldset>"
            for (part, label, autocomplete) in [("nom", "Nom", "family-name"), ("prenom", "Prénom", "given-name")] {
                let input = id + "." + part
                h +=
                    "<label for=\"f-" + e(input) + "\">" + label + "</label><input id=\"f-" + e(input) + "\" name=\""
                    + e(input) + "\" autocomplete=\"" + autocomplete + "\" value=\"" + e(value(input).first ?? "")
                    + "\"" + req + describedBy(input, help: false) + ">" + errorLine(input)
            }
            return h + "</fieldset>"
        case .consent:
            let wording = runtime.consent ?? ConsentWording(field: field, partners: [], partnersVersion: nil)
            var h =
                "<fieldset class=\"hf-field hf-consent\"><legend class=\"hf-legend\">" + e(wording.introduction)
                + "</legend>"
            for (part, text) in [("phone", wording.phone), ("email", wording.email)] {
                let input = id + "." + part
                let checked = value(input).contains { ["on", "oui", "1", "true"].contains($0) }
                h +=
                    "<div class=\"hf-check\"><input type=\"checkbox\" id=\"f-" + e(input) + "\" name=\"" + e(input)
                    + "\" value=\"on\"" + (checked ? " checked" : "") + describedBy(input, help: false)
                    + "><label for=\"f-" + e(input) + "\">" + e(text) + "</label></div>" + errorLine(input)
            }
            h += "<p class=\"hf-partners\">" + e(wording.partnersLine) + "</p>"
            return h + "</fieldset>"
        }
    }

    // MARK: - Colors, style and script

    /// White or near-black text, whichever reads better on the account's color (WCAG contrast).
    static func textColor(on hex: String) -> String {
        contrast(hex, "#ffffff") >= contrast(hex, "#111111") ? "#fff" : "#111"
    }

    /// WCAG relative luminance of `#rgb` / `#rrggbb` (black when unreadable).
    static func luminance(_ hex: String) -> Double {
        var digits = String(hex.dropFirst())
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        guard digits.count == 6, let value = Int(digits, radix: 16) else { return 0 }
        func channel(_ shift: Int) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.039_28 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }

    /// WCAG contrast ratio of two colors (1 to 21).
    static func contrast(_ a: String, _ b: String) -> Double {
        let (x, y) = (luminance(a), luminance(b))
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;\
        color:#1b1f24;background:#f4f6f8}.hf-wrap{max-width:640px;margin:0 auto;padding:12px 16px 32px}\
        .hf-head{display:flex;align-items:center;min-height:48px}.hf-head img{max-height:40px;width:auto}\
        .hf-brand{font-weight:700;color:var(--s)}main{background:#fff;border-radius:12px;padding:20px 16px;\
        box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.4rem;line-height:1.25;margin:.2em 0 .6em;color:var(--s)}\
        h1:focus{outline:none}.hf-text{color:#3d4650;margin:0 0 1em}.hf-progress{height:6px;background:#e3e7eb;\
        border-radius:3px;overflow:hidden}.hf-progress span{display:block;height:100%;background:var(--p)}\
        .hf-count{font-size:.85rem;color:#56606b;margin:.4em 0 0}fieldset{border:0;margin:0;padding:0;min-width:0}\
        .hf-field{margin:0 0 1.1em}.hf-legend,label{display:block;font-weight:600;margin:0 0 .35em}\
        .hf-sub{font-weight:600;margin-bottom:.3em}.hf-sr,.hf-hp{position:absolute!important;width:1px;height:1px;\
        overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}.hf-opt{font-weight:400;color:#56606b}\
        input:not([type=radio]):not([type=checkbox]),select{width:100%;font:inherit;padding:.7em .8em;\
        border:1px solid #8a949e;border-radius:8px;background:#fff;color:inherit;margin-bottom:.6em}\
        .hf-cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px}\
        .hf-list{display:grid;gap:8px}.hf-card{position:relative;display:flex;flex-direction:column;\
        align-items:center;justify-content:center;gap:6px;min-height:64px;padding:14px 10px;border:2px solid #c8cfd6;\
        border-radius:10px;background:#fff;cursor:pointer;text-align:center;font-weight:600;margin:0;color:var(--s)}\
        .hf-list .hf-card{flex-direction:row;justify-content:flex-start;text-align:left;min-height:52px}\
        .hf-card input,.hf-pill input{position:absolute;opacity:0;width:1px;height:1px}\
        .hf-card:hover{border-color:var(--p)}.hf-card:has(input:checked){border-color:var(--p);\
        background:color-mix(in srgb,var(--p) 10%,#fff)}.hf-card:focus-within,.hf-pill:focus-within,\
        input:focus-visible,select:focus-visible,button:focus-visible,a:focus-visible,summary:focus-visible{\
        outline:3px solid #0b57d0;outline-offset:2px}.hf-card svg{color:var(--p)}.hf-card img{border-radius:6px}\
        .hf-inline{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:.8em}.hf-inline .hf-sub{width:100%}\
        .hf-pill{position:relative;border:2px solid #c8cfd6;border-radius:20px;padding:.4em 1em;margin:0;\
        cursor:pointer}.hf-pill:has(input:checked){border-color:var(--p)}.hf-check{display:flex;gap:10px;\
        align-items:flex-start;margin:.6em 0}.hf-check input{width:22px;height:22px;flex:none;margin:2px 0 0}\
        .hf-check label{font-weight:400;margin:0}.hf-partners{font-size:.85rem;color:#3d4650}\
        .hf-actions{display:flex;gap:10px;justify-content:space-between;margin-top:1.2em}\
        button{font:inherit;font-weight:700;border-radius:8px;padding:.8em 1.2em;cursor:pointer;border:2px solid \
        transparent}.hf-next{background:var(--p);color:var(--pt);margin-left:auto;min-width:50%}\
        .hf-back{background:#fff;border-color:#8a949e;color:#1b1f24}.hf-alert:empty{display:none}\
        .hf-alert{border-left:4px solid #b3261e;background:#fdecea;padding:.5em .8em;margin-bottom:1em;\
        border-radius:4px}.hf-alert p{margin:0}.hf-error{color:#b3261e;font-weight:600;margin:.2em 0 .6em}\
        [aria-invalid=true]{border-color:#b3261e!important}.hf-help{color:#56606b;margin:0 0 .4em}\
        .hf-foot{margin-top:20px;font-size:.85rem;color:#56606b;display:flex;flex-wrap:wrap;gap:12px}\
        .hf-foot a{color:#2c3a48}.hf-foot details{width:100%}.hf-preview{background:#fff4ce;padding:.4em .8em;\
        border-radius:4px;margin:0 0 1em}main[aria-busy=true]{opacity:.6}\
        @media (min-width:720px){main{padding:32px}h1{font-size:1.7rem}}
        """

    /// Without it the form works (one request per screen); with it, screens change without a
    /// reload, the focus goes to the new title, the commune list fills itself, and an iframe's
    /// parent hears `loaded`, `step`, `completed`, `disqualified` and `resize`.
    static let script = """
        (function(){var d=document,w=window,framed=w.parent!==w;function main(){return d.getElementById("hf")}\
        function post(t){if(!framed)return;var m=main()||{dataset:{}};try{w.parent.postMessage({source:"leadhub",\
        type:t,form:m.dataset.form,step:m.dataset.step,position:+m.dataset.position||0,\
        height:d.documentElement.scrollHeight},"*")}catch(e){}}function state(){var m=main();if(!m)return;\
        var s=m.dataset.state;post(s==="completed"?"completed":s==="disqualified"?"disqualified":"step");\
        if(m.dataset.redirect){try{w.top.location.href=m.dataset.redirect}catch(e){location.href=m.dataset.redirect}}}\
        function swap(html,url,push){var doc=new DOMParser().parseFromString(html,"text/html"),n=doc.getElementById("hf");\
        if(!n){location.href=url;return}main().replaceWith(n);d.title=doc.title;if(push&&url!==location.href)\
        history.pushState(null,"",url);bind();var h=d.getElementById("hf-title");if(h)h.focus();state()}\
        function bind(){var f=d.querySelector("#hf form");if(!f)return;f.addEventListener("submit",function(e){\
        e.preventDefault();var data=new URLSearchParams(new FormData(f));if(e.submitter&&e.submitter.name)\
        data.append(e.submitter.name,e.submitter.value);main().setAttribute("aria-busy","true");\
        fetch(f.action,{method:"POST",body:data,headers:{"X-Requested-With":"fetch"}}).then(function(r){\
        return r.text().then(function(t){swap(t,r.url,true)})}).catch(function(){f.submit()})});\
        if(f.classList.contains("hf-auto"))f.addEventListener("click",function(e){var i=e.target.closest("label");\
        if(i&&e.detail>0)setTimeout(function(){f.requestSubmit()},150)});\
        var cp=f.querySelector("input[data-communes]");if(cp)cp.addEventListener("input",function(){\
        var v=cp.value.replace(/\\s/g,""),name=cp.getAttribute("data-communes"),s=d.getElementById("f-"+name),\
        box=d.getElementById("w-"+name);if(!/^\\d{5}$/.test(v)){box.hidden=true;return}\
        fetch(f.action.replace(/\\?.*$/,"")+"/communes?cp="+v).then(function(r){return r.json()}).then(function(l){\
        s.innerHTML="";if(l.length>1)s.add(new Option("Choisissez votre commune",""));l.forEach(function(c){\
        s.add(new Option(c,c))});box.hidden=l.length<2})})}w.addEventListener("popstate",function(){\
        fetch(location.href).then(function(r){return r.text()}).then(function(t){swap(t,location.href,false)})});\
        if(framed&&w.ResizeObserver)new ResizeObserver(function(){post("resize")}).observe(d.body);\
        bind();post("loaded");state()})();
        """
}
