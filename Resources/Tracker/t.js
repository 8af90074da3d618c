/* LeadHub tracker — served at /t.js. No dependency; never breaks the host page.
 * <script src="https://HUB/t.js?v=VERSION" data-org="ORG" data-lp="LP-001" async></script>   (landing page)
 * <script src="https://HUB/t.js?v=VERSION" data-org="ORG" data-form="PV-001" data-form-key="lhf_…" async></script>   (form)
 * Both data-lp and data-form: form integrated in the landing page.
 * CTA links: <a href="FORM_URL" data-leadhub-cta> (or data-cta="CSS selector" on the script tag). */
(function (w, d) {
  "use strict";
  try {
    var script = d.currentScript;
    if (!script) {
      var all = d.getElementsByTagName("script");
      for (var i = all.length - 1; i >= 0; i--) { if (/\/t\.js(\?|$)/.test(all[i].src)) { script = all[i]; break; } }
    }
    if (!script || w.LeadHub) { return; }
    var attr = function (name) { return script.getAttribute(name) || ""; };
    var base = script.src.replace(/\/t\.js.*$/, "");
    var cfg = {
      org: attr("data-org"), lp: attr("data-lp").toUpperCase(), form: attr("data-form").toUpperCase(),
      key: attr("data-form-key"), cta: attr("data-cta") || "[data-leadhub-cta]"
    };
    var SESSION_MS = 30 * 60 * 1000;
    var CARRIED = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid"];
    var params = {};
    (w.location.search || "").replace(/^\?/, "").split("&").forEach(function (pair) {
      if (!pair) { return; }
      var at = pair.indexOf("=");
      var name = decodeURIComponent((at < 0 ? pair : pair.slice(0, at)).replace(/\+/g, " "));
      var value = at < 0 ? "" : decodeURIComponent(pair.slice(at + 1).replace(/\+/g, " "));
      if (!(name in params)) { params[name] = value; }
    });
    var store = function (kind) {
      try { var s = w[kind]; s.setItem("lh_probe", "1"); s.removeItem("lh_probe"); return s; } catch (e) { return null; }
    };
    var local = store("localStorage"), session = store("sessionStorage");
    var read = function (s, k) { try { return s ? s.getItem(k) : null; } catch (e) { return null; } };
    var write = function (s, k, v) { try { if (s) { s.setItem(k, v); } } catch (e) { /* full or denied */ } };
    var id = function () {
      var out = "";
      var bytes = (w.crypto && w.crypto.getRandomValues) ? w.crypto.getRandomValues(new Uint8Array(12)) : null;
      for (var n = 0; n < 12; n++) { out += ((bytes ? bytes[n] : Math.floor(Math.random() * 256)) + 256).toString(16).slice(1); }
      return out;
    };
    var valid = function (v) { return v && /^[A-Za-z0-9._-]{1,64}$/.test(v); };

    // The visitor (kept) and the session (ends after 30 minutes without activity). A session
    // carried in the URL (from the landing page or a redirect link) wins.
    var visitor = valid(params.lh_visitor) ? params.lh_visitor : (read(local, "lh_visitor") || id());
    write(local, "lh_visitor", visitor);
    var now = new Date().getTime();
    var saved = read(local, "lh_session") || "";
    var savedId = saved.split("|")[0], savedAt = parseInt(saved.split("|")[1] || "0", 10);
    var sessionId = valid(params.lh_session) ? params.lh_session
      : (valid(savedId) && now - savedAt < SESSION_MS ? savedId : id());
    var touch = function () { write(local, "lh_session", sessionId + "|" + new Date().getTime()); };
    touch();

    // Attribution: the URL's campaign parameters, else those remembered for this session.
    var attribution = {};
    var remembered = {};
    try { remembered = JSON.parse(read(session, "lh_attr_" + sessionId) || "{}") || {}; } catch (e) { remembered = {}; }
    var fromURL = false;
    CARRIED.forEach(function (k) { if (params[k]) { fromURL = true; } });
    CARRIED.forEach(function (k) { var v = fromURL ? params[k] : remembered[k]; if (v) { attribution[k] = String(v).slice(0, 200); } });
    write(session, "lh_attr_" + sessionId, JSON.stringify(attribution));
    var lpCode = cfg.lp || (params.lp || "").toUpperCase();

    var gtm = function (name, extra) {
      try {
        if (w.dataLayer && typeof w.dataLayer.push === "function") {
          var item = { event: "leadhub_" + name, leadhub_lp: lpCode || undefined, leadhub_form: cfg.form || undefined, leadhub_session: sessionId };
          for (var k in extra || {}) { item[k] = extra[k]; }
          w.dataLayer.push(item);
        }
      } catch (e) { /* the host's dataLayer is not ours to break */ }
    };
    var queue = [];
    var timer = null;
    var flush = function () {
      timer = null;
      if (!queue.length || !cfg.org) { queue = []; return; }
      var body = JSON.stringify({ org: cfg.org, events: queue.splice(0, 50) });
      var url = base + "/api/v1/events";
      var sent = false;
      try {
        // text/plain: a "simple" request, no CORS preflight for a beacon.
        if (navigator.sendBeacon) { sent = navigator.sendBeacon(url, new Blob([body], { type: "text/plain" })); }
      } catch (e) { sent = false; }
      if (!sent && w.fetch) {
        try { w.fetch(url, { method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit", headers: { "Content-Type": "text/plain" } })["catch"](function () {}); } catch (e) { /* offline */ }
      }
      if (queue.length) { flush(); }
    };
    var track = function (type, extra) {
      var event = { type: type, visitor_id: visitor, session_id: sessionId, url: w.location.href.slice(0, 2000) };
      if (lpCode) { event.lp_code = lpCode; }
      if (cfg.form) { event.form_code = cfg.form; }
      if (d.referrer && /^https?:/.test(d.referrer)) { event.referrer = d.referrer.slice(0, 2000); }
      for (var k in attribution) { event[k] = attribution[k]; }
      for (var e in extra || {}) { event[e] = extra[e]; }
      queue.push(event);
      touch();
      // A few events close together leave in one request; a click that leaves the page, at once.
      if (type === "cta_click") { flush(); } else if (!timer) { timer = w.setTimeout(flush, 300); }
    };
    w.addEventListener("pagehide", flush);
    w.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") { flush(); } });

    // The form URL with the session, the visitor, the LP code and the campaign parameters.
    var carry = function (href) {
      try {
        var target = new URL(href, w.location.href);
        if (target.hash && target.pathname === w.location.pathname && target.host === w.location.host) { return href; }
        var add = { lh_session: sessionId, lh_visitor: visitor, lp: lpCode };
        for (var k in attribution) { add[k] = attribution[k]; }
        for (var name in add) { if (add[name] && !target.searchParams.has(name)) { target.searchParams.set(name, add[name]); } }
        return target.toString();
      } catch (e) { return href; }
    };
    var wireCTAs = function () {
      var links = [];
      try { links = d.querySelectorAll(cfg.cta); } catch (e) { links = []; }
      Array.prototype.forEach.call(links, function (link) {
        if (link.getAttribute("data-leadhub-wired")) { return; }
        link.setAttribute("data-leadhub-wired", "1");
        if (link.href) { link.href = carry(link.getAttribute("href")); }
        link.addEventListener("click", function () {
          track("cta_click");
          gtm("cta_click");
        });
      });
    };

    var started = false;
    var startedAt = 0;
    var startForm = function () {
      if (started || !cfg.form) { return; }
      started = true;
      startedAt = new Date().getTime();
      track("form_start");
      gtm("form_start");
    };
    var onReady = function () {
      if (lpCode && cfg.lp) { track("lp_visit"); gtm("lp_visit"); }
      wireCTAs();
      if (cfg.form) {
        ["focusin", "input", "change"].forEach(function (name) {
          d.addEventListener(name, function (event) {
            var t = event.target;
            if (t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName || "")) { startForm(); }
          }, true);
        });
      }
    };
    if (d.readyState === "loading") { d.addEventListener("DOMContentLoaded", onReady); } else { onReady(); }

    w.LeadHub = {
      session: sessionId,
      visitor: visitor,
      attribution: attribution,
      carry: carry,
      track: track,
      /* A multi-step form calls LeadHub.step(2) when the visitor reaches step 2. */
      step: function (n) { startForm(); track("form_step", { step: n }); gtm("form_step", { leadhub_step: n }); },
      /* Posts the lead with the form key and the attribution; resolves {ok, status, body}. */
      submit: function (fields) {
        var lead = {};
        for (var k in fields || {}) { lead[k] = fields[k]; }
        lead.form_code = lead.form_code || cfg.form;
        if (lpCode && !lead.lp_code) { lead.lp_code = lpCode; }
        lead.session_id = lead.session_id || sessionId;
        lead.visitor_id = lead.visitor_id || visitor;
        for (var a in attribution) { if (!lead[a]) { lead[a] = attribution[a]; } }
        if (!lead.page_url) { lead.page_url = w.location.href.slice(0, 2000); }
        if (!lead.referrer && d.referrer && /^https?:/.test(d.referrer)) { lead.referrer = d.referrer.slice(0, 2000); }
        /* Time from the first input to the submission (under 10 s, nobody typed it). */
        if (startedAt && lead.form_elapsed_ms === undefined) { lead.form_elapsed_ms = new Date().getTime() - startedAt; }
        startForm();
        flush();
        return w.fetch(base + "/api/v1/leads", {
          method: "POST", mode: "cors", credentials: "omit",
          headers: { "Content-Type": "application/json", "Authorization": "Token " + cfg.key },
          body: JSON.stringify(lead)
        }).then(function (response) {
          return response.json()["catch"](function () { return {}; }).then(function (body) {
            if (response.ok) { gtm("lead", { leadhub_lead_id: body.id }); }
            return { ok: response.ok, status: response.status, body: body };
          });
        });
      }
    };
  } catch (e) { /* never break the host page */ }
})(window, document);
