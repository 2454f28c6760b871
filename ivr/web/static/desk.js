// The agent's desk: the form follows the live call, and nothing typed is lost on a reload.
//
// * When the screen pop's work order arrives (the `screen_pop_order` live event), the desk opens
//   that order, whatever was open: an agent types what the caller on the line says, so the form
//   must be that caller's order. The text typed so far is saved as a draft first.
// * Every change is saved as a draft on the server (htmx, a moment after typing stops). Until the
//   server has acknowledged it, the latest text is also kept in this tab's sessionStorage, and sent
//   with `navigator.sendBeacon` when the page goes away; a page loaded with such unacknowledged
//   text puts it back in the form and saves it (a reload can reach the server before the beacon).
//   Nothing stays in the browser once the server has the text.
(function () {
  "use strict";
  var KEY = "ivr-desk-draft:";

  function form() { return document.getElementById("order-form"); }

  function orderOf(f) { return f ? f.getAttribute("data-order") : null; }

  function fields(f) {
    var data = new FormData(f);
    var values = {};
    data.forEach(function (value, name) { if (name !== "csrf") { values[name] = String(value); } });
    return values;
  }

  function remember(f) {
    try { sessionStorage.setItem(KEY + orderOf(f), JSON.stringify(fields(f))); } catch (e) { /* full or off */ }
  }

  function forget(number, sent) {
    try {
      var kept = sessionStorage.getItem(KEY + number);
      if (kept !== null && (sent === undefined || kept === sent)) { sessionStorage.removeItem(KEY + number); }
    } catch (e) { /* off */ }
  }

  function beacon(f) {
    var number = orderOf(f);
    var kept = null;
    try { kept = sessionStorage.getItem(KEY + number); } catch (e) { kept = null; }
    if (kept === null || !navigator.sendBeacon) { return; }
    var body = new URLSearchParams(new FormData(f));
    navigator.sendBeacon("/desk/" + number + "/draft", body);
  }

  function restore(f) {
    var kept = null;
    try { kept = sessionStorage.getItem(KEY + orderOf(f)); } catch (e) { kept = null; }
    if (kept === null) { return; }
    var values = JSON.parse(kept);
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.name === "csrf" || el.type === "hidden") { return; }
      var value = Object.prototype.hasOwnProperty.call(values, el.name) ? values[el.name] : null;
      if (el.type === "radio") { el.checked = value !== null && el.value === value; }
      else if (el.type === "checkbox") { el.checked = value !== null; }
      else { el.value = value === null ? "" : value; }
    });
    var box = f.querySelector(".fields");
    if (box && window.htmx) { htmx.trigger(box, "change"); }
  }

  var submitting = false;
  document.addEventListener("DOMContentLoaded", function () {
    var f = form();
    if (!f) { return; }
    restore(f);
    var invalid = f.querySelector(".invalid input:not([type=hidden]), .invalid textarea, .invalid select");
    if (invalid) { invalid.focus(); }  // a refused save: the first thing to fix
    f.addEventListener("input", function () { remember(f); });
    f.addEventListener("change", function () { remember(f); });
    f.addEventListener("submit", function () { submitting = true; });
  });
  // logging out: no draft text stays in this tab
  document.addEventListener("submit", function (event) {
    if (!event.target.classList.contains("logout")) { return; }
    submitting = true;
    try {
      Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(KEY) === 0) { sessionStorage.removeItem(k); } });
    } catch (e) { /* off */ }
  });

  // the draft the server acknowledged: nothing of it needs keeping in the browser
  var sending = new WeakMap();
  function isDraft(event) {
    var f = form();
    var path = event.detail && event.detail.pathInfo ? event.detail.pathInfo.requestPath : "";
    return f && path === "/desk/" + orderOf(f) + "/draft";
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isDraft(event)) { sending.set(event.detail.xhr, JSON.stringify(fields(form()))); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isDraft(event) || !event.detail.successful) { return; }
    var sent = sending.get(event.detail.xhr);
    if (sent !== undefined) { forget(orderOf(form()), sent); }
  });

  function leaving() {
    var f = form();
    if (f && !submitting) { beacon(f); }
  }
  window.addEventListener("beforeunload", leaving);
  window.addEventListener("pagehide", leaving);

  // the live stream is open (the page says so; tests wait for it before publishing)
  document.addEventListener("htmx:sseOpen", function () { document.body.setAttribute("data-live", "open"); });
  document.addEventListener("htmx:sseError", function () { document.body.removeAttribute("data-live"); });

  // the live call's order arrived: open it (unless it is the one open already)
  document.addEventListener("htmx:sseMessage", function (event) {
    if (!event.detail || event.detail.type !== "screen_pop_order") { return; }
    var pop = document.querySelector("#live-order .pop-order[data-order]");
    if (!pop) { return; }
    var number = pop.getAttribute("data-order");
    if (number === orderOf(form())) { return; }
    window.location.assign("/desk/" + number);
  });
})();
