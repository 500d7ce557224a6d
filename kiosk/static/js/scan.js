// Scan stations. A keyboard-wedge scanner types a whole code and Enter in a
// few milliseconds, often while the previous answer is still arriving. So:
// - the scan field is never swapped out; only #scan-result is replaced;
// - on Enter the field's value is taken and the field cleared at once, and
//   the code joins a queue: requests go one at a time, in scan order, and
//   whatever is typed meanwhile stays in the field for the next Enter;
// - after every answer (and every tap on a button) focus returns to the field;
// - the answer is announced with a colour, text and a short sound (WebAudio:
//   no files, no network), different for ok, duplicate and error.
(function () {
  "use strict";

  var queue = Promise.resolve();
  var audio = null;

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function scanField() { return document.querySelector("[data-scan-field]"); }

  function isTextEntry(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !/^(button|submit|checkbox|radio|hidden)$/i.test(el.type);
  }

  function refocus() {
    var field = scanField();
    if (field && !isTextEntry(document.activeElement)) field.focus({ preventScroll: true });
  }

  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  // One scan into the queue: requests go one at a time, in scan order.
  function sendScan(form, code) {
    var lookup = form.dataset.mode === "lookup";
    // A lookup is a GET: its values go in the URL (the server's log, the
    // history), so it carries the code alone: no CSRF token, no other field.
    var values = lookup ? {} : formValues(form);
    values.code = code;
    var url = lookup ? form.dataset.lookupUrl : form.action;
    queue = queue.then(function () {
      return htmx.ajax(lookup ? "GET" : "POST", url, {
        target: "#scan-result", swap: "outerHTML", values: values,
        headers: lookup ? {} : { "X-CSRFToken": csrfToken() }
      });
    }).catch(function () { /* shown by htmx:responseError below */ });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-scan-form]");
    if (!form || typeof htmx === "undefined") return;  // no JS: the plain form posts
    event.preventDefault();
    var field = form.querySelector("[data-scan-field]");
    var code = field.value;
    field.value = "";
    field.focus();
    if (!code.trim()) {
      // Enter with an empty scan field: the code most likely went into another
      // field (a note). Say so, rather than doing nothing.
      showLocalError(document.body.dataset.msgEmptyScan || "Scan field is empty");
      return;
    }
    sendScan(form, code);
  });

  // A code the scanner typed into another field (a note, a quantity, a
  // search: kiosk.js tells a burst from typing) is a scan all the same: it
  // joins the queue, and the field keeps what the person had typed there.
  document.addEventListener("kiosk:burst", function (event) {
    var form = document.querySelector("form[data-scan-form]");
    if (!form || typeof htmx === "undefined" || event.defaultPrevented) return;
    event.preventDefault();
    sendScan(form, event.detail.code);
  });

  // Lookup mode: the next scans open the garment's timeline instead of moving it.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-lookup-toggle]");
    if (toggle) {
      var form = toggle.closest("form");
      var on = form.dataset.mode !== "lookup";
      form.dataset.mode = on ? "lookup" : "";
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? toggle.dataset.labelOn : toggle.dataset.labelOff;
      form.classList.toggle("lookup-on", on);
    }
    // A tap on a button must not leave the scanner typing into nowhere.
    setTimeout(refocus, 0);
  });

  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var plan = { ok: [[880, 0, 0.12]], duplicate: [[660, 0, 0.08], [660, 0.14, 0.08]],
                   error: [[220, 0, 0.45]] }[kind];
      if (!plan) return;
      plan.forEach(function (tone) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = kind === "error" ? "square" : "sine";
        osc.frequency.value = tone[0];
        gain.gain.value = 0.2;
        osc.connect(gain); gain.connect(audio.destination);
        var start = audio.currentTime + tone[1];
        osc.start(start); osc.stop(start + tone[2]);
      });
    } catch (e) { /* no sound device: the colour and text still tell */ }
  }

  function announce(element) {
    if (element && !element.dataset.announced && element.dataset.scanResult
        && element.dataset.scanResult !== "idle") {
      element.dataset.announced = "1";
      beep(element.dataset.scanResult);
    }
  }

  document.addEventListener("htmx:afterSettle", function () {
    // Each answer is a new element: announce it once (a toast only when it
    // tells of a refusal: it carries data-scan-result="error").
    announce(document.getElementById("scan-result"));
    announce(document.getElementById("toast"));
    refocus();
  });

  // A refusal (400 expired page, 403 role, 404...) is an answer the server
  // aimed somewhere (HX-Retarget: the answer area or the toast): htmx leaves
  // 4xx/5xx unswapped by default, so the previous green answer would stay on
  // screen. Swap it like any answer; it is announced above with the error tone.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") && event.detail.target) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The server sends a fresh token with "this page had expired": the next
  // scan then goes through without reloading the page (and losing the queue).
  document.addEventListener("kiosk:csrf-token", function (event) {
    var token = event.detail && event.detail.value;
    if (!token) return;
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) meta.content = token;
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
    var headers = document.body.getAttribute("hx-headers");
    if (headers) {
      try {
        var parsed = JSON.parse(headers);
        parsed["X-CSRFToken"] = token;
        document.body.setAttribute("hx-headers", JSON.stringify(parsed));
      } catch (e) { /* not ours: leave it */ }
    }
  });

  // A tap puts a toast away.
  document.addEventListener("click", function (event) {
    var shown = event.target.closest("#toast");
    if (shown) shown.hidden = true;
  });

  function showLocalError(message) {
    var result = document.getElementById("scan-result");
    if (!result) return;
    var answer = document.createElement("section");
    answer.id = "scan-result";
    answer.className = "scan-result result-error";
    answer.dataset.scanResult = "error";
    answer.dataset.announced = "1";
    answer.setAttribute("role", "alert");
    var word = document.createElement("p");
    word.className = "result-word";
    word.textContent = document.body.dataset.msgRefused || "Not done";
    answer.appendChild(word);
    var p = document.createElement("p");
    p.className = "result-message";
    p.dataset.testid = "result-message";
    p.textContent = message;
    answer.appendChild(p);
    result.replaceWith(answer);
    beep("error");
  }

  // A refusal or failure nobody aimed anywhere: where the person is looking,
  // with the error tone. A station's answer area when there is one (the
  // previous green answer never stays standing), else the page's toast.
  function showError(message) {
    var result = document.getElementById("scan-result");
    if (result) {
      showLocalError(message);
      return;
    }
    var slot = document.getElementById("toast");
    if (!slot) return;
    var shown = document.createElement("div");
    shown.id = "toast";
    shown.className = "toast notice notice-error";
    shown.setAttribute("role", "alert");
    shown.dataset.testid = "toast";
    shown.dataset.scanResult = "error";
    shown.dataset.announced = "1";
    shown.textContent = message;
    slot.replaceWith(shown);
    beep("error");
  }

  // An answer refused elsewhere on a station's page (a toast): the answer
  // area's last green word is about an earlier scan, so it steps back.
  function dimAnswer() {
    var result = document.getElementById("scan-result");
    if (result && result.dataset.scanResult !== "error") result.classList.add("result-stale");
  }

  // An error answer the server did not aim anywhere (a proxy's 502, a crash
  // before the kiosk could answer), or a lost connection.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Retarget")) return;  // swapped above, where the server aimed it
    showError(document.body.dataset.msgServerError || "Error");
  });
  document.addEventListener("htmx:sendError", function () {
    showError(document.body.dataset.msgOffline || "Offline");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400 && event.detail.target && event.detail.target.id !== "scan-result") dimAnswer();
  });

  document.addEventListener("DOMContentLoaded", refocus);
})();
