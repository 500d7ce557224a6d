// Kiosk behaviour that needs the browser: the PIN pad, the idle lock, and the
// handlers that used to be inline (print, the who form, a paused poll).
(function () {
  "use strict";

  // PIN pad: keys type into the PIN field; focus never jumps, so a badge
  // scanner typing into the badge field is not disturbed.
  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-key]");
    if (!key) return;
    var form = key.closest("form");
    var pin = form && form.querySelector("input[name=pin]");
    if (!pin) return;
    if (key.dataset.key === "clear") pin.value = "";
    else if (pin.value.length < (pin.maxLength > 0 ? pin.maxLength : 8)) pin.value += key.dataset.key;
  });

  // Tapping a name moves the finger's attention to the PIN pad.
  document.addEventListener("change", function (event) {
    if (event.target.name === "user_id") {
      var pin = document.querySelector("input[name=pin]");
      if (pin) pin.value = "";
    }
  });

  // What would be inline handlers: the Content-Security-Policy runs no inline
  // script, so the markup carries data- attributes and the code lives here.

  // A print button (the loss report's A4 print).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print-page]")) window.print();
  });

  // A "who" form (issue and kit stations): once the answer shows the person
  // (the selector of data-reset-when-found matches), the field is cleared and
  // lets go of focus, so the next scan goes to the scan field.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-reset-when-found]")) return;
    if (document.querySelector(form.dataset.resetWhenFound)) {
      form.reset();
      if (document.activeElement) document.activeElement.blur();
    }
  });

  // A polled panel waits while someone types into a form inside it
  // (data-poll-paused-within: that form's selector): the poll would swap the
  // half-typed count away.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var within = elt && elt.dataset && elt.dataset.pollPausedWithin;
    if (within && document.activeElement && document.activeElement.closest(within)) event.preventDefault();
  });

  // A badge scanned into a form field (data-scan-into): the wedge scanner
  // ends the code with Enter, which must not submit the form half-filled.
  // The code stays in the field; the clerk saves the form with its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("input[data-scan-into]")) return;
    event.preventDefault();
    event.target.classList.add("scanned");
  });

  // --- A wedge scanner typing into another field -------------------------
  // A scanner types a whole code and Enter within milliseconds; a person
  // types a key every 100 ms or more; an input method (Chinese pinyin)
  // composes, and its Enter commits the letters. So a burst of at least
  // BURST_MIN characters, at most BURST_GAP ms apart on average, ending in
  // Enter and never while composing, typed into a field that does not take
  // scans itself (a note, a quantity, a search), is a scan: the field gets
  // back what the person had typed, and the code is offered to the page as
  // a "kiosk:burst" event (a station's scan queue, the sign-in's badge form
  // take it by calling preventDefault). Nobody takes it: nothing changes.
  var BURST_MIN = 4, BURST_GAP = 35, BURST_BREAK = 80;
  var TAKES_SCANS = "[data-scan-field], [data-scan-into], [data-wedge]";
  var burst = null, composing = false;

  function textEntry(el) {
    return !!el && (el.tagName === "TEXTAREA" ||
      (el.tagName === "INPUT" && !/^(button|submit|checkbox|radio|hidden|file|range|color)$/i.test(el.type)));
  }

  document.addEventListener("compositionstart", function () { composing = true; burst = null; }, true);
  document.addEventListener("compositionend", function () { composing = false; burst = null; }, true);

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.isComposing || composing || event.keyCode === 229 || event.key === "Process") {
      burst = null;
      return;
    }
    if (target && target.matches && target.matches(TAKES_SCANS)) { burst = null; return; }
    var now = performance.now();
    if (event.key === "Enter") {
      var taken = burst && burst.target === target && burst.text.length >= BURST_MIN
        && now - burst.last < BURST_BREAK
        && (burst.last - burst.first) / (burst.text.length - 1) <= BURST_GAP;
      var seen = burst;
      burst = null;
      if (!taken) return;
      var offer = new CustomEvent("kiosk:burst", { cancelable: true, detail: { code: seen.text, field: target } });
      if (document.dispatchEvent(offer)) return;  // nobody took it: Enter does what it always did
      event.preventDefault();
      event.stopImmediatePropagation();
      if (seen.before !== null) {
        target.value = seen.before;
        try { target.setSelectionRange(seen.start, seen.end); } catch (e) { /* a number field */ }
        target.dispatchEvent(new Event("input", { bubbles: true }));
      }
      return;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) { burst = null; return; }
    if (!burst || burst.target !== target || now - burst.last > BURST_BREAK) {
      var entry = textEntry(target);
      burst = { target: target, text: "", first: now, last: now,
                before: entry ? target.value : null,
                start: entry ? target.selectionStart : 0, end: entry ? target.selectionEnd : 0 };
    }
    burst.text += event.key;
    burst.last = now;
  }, true);

  // At the sign-in, a badge scanned after tapping a name (focus on the name,
  // or the PIN field) goes to the badge form: it signs in by the badge and
  // costs no PIN attempt (the server takes a badge in the PIN field the same way).
  document.addEventListener("kiosk:burst", function (event) {
    var badge = document.querySelector("form.badge-form input[name=badge]");
    if (!badge || event.defaultPrevented) return;
    event.preventDefault();
    var pin = document.querySelector("#pin-form input[name=pin]");
    if (pin) pin.value = "";
    badge.value = event.detail.code;
    badge.form.submit();
  });

  // --- What was typed survives a lock ------------------------------------
  // Typed text (a handover note, a count) is kept in this tab's
  // sessionStorage while it is typed, for the operator who typed it, and put
  // back when the same operator signs in again and comes back to the page.
  // Another operator signing in on this tablet drops it. Never kept: PINs,
  // phones, contacts, signatures, badges and scans, and any form marked
  // data-no-draft (a borrower's details).
  var DRAFTS = "kiosk.drafts";
  var operator = document.body.dataset.operator || "";
  var NEVER_KEPT = /pin|password|phone|mobile|tel|contact|signature|badge|code|csrf|request_key/i;

  function readDrafts() {
    try { return JSON.parse(sessionStorage.getItem(DRAFTS) || "null"); } catch (e) { return null; }
  }
  function writeDrafts(drafts) {
    try {
      if (drafts) sessionStorage.setItem(DRAFTS, JSON.stringify(drafts));
      else sessionStorage.removeItem(DRAFTS);
    } catch (e) { /* storage full or off: nothing is kept */ }
  }
  function keepable(field) {
    return textEntry(field) && field.name && !/^(password|tel|email)$/i.test(field.type)
      && !NEVER_KEPT.test(field.name) && !field.matches(TAKES_SCANS)
      && !field.closest("[data-no-draft]") && field.form;
  }
  function fieldKey(field) {
    return (field.form.getAttribute("action") || field.form.id || "") + "#" + field.name;
  }
  var page = location.pathname + location.search;
  var hours = parseFloat(document.body.dataset.draftHours || "12");

  function saveDraft(field) {
    if (!operator || !keepable(field)) return;
    var drafts = readDrafts();
    if (!drafts || drafts.operator !== operator) drafts = { operator: operator, pages: {} };
    var fields = drafts.pages[page] = drafts.pages[page] || {};
    if (field.value) fields[fieldKey(field)] = field.value;
    else delete fields[fieldKey(field)];
    drafts.saved = Date.now();
    writeDrafts(drafts);
  }

  document.addEventListener("input", function (event) { saveDraft(event.target); });
  document.addEventListener("submit", function (event) {
    // Sent: no longer a draft (a refused form comes back with its text from the server).
    var drafts = readDrafts();
    if (!drafts || !drafts.pages[page] || !event.target.getAttribute) return;
    var prefix = (event.target.getAttribute("action") || event.target.id || "") + "#";
    Object.keys(drafts.pages[page]).forEach(function (key) {
      if (key.indexOf(prefix) === 0) delete drafts.pages[page][key];
    });
    writeDrafts(drafts);
  }, true);

  function restoreDrafts() {
    var drafts = readDrafts();
    if (!drafts || !operator) return;  // the sign-in page: whoever signs in next decides
    if (drafts.operator !== operator || Date.now() - (drafts.saved || 0) > hours * 3600 * 1000) {
      writeDrafts(null);  // another operator's text is never shown to this one
      return;
    }
    var fields = drafts.pages[page];
    if (!fields) return;
    var restored = 0;
    document.querySelectorAll("input, textarea").forEach(function (field) {
      if (!keepable(field) || field.value) return;
      var value = fields[fieldKey(field)];
      if (value) { field.value = value; restored += 1; }
    });
    delete drafts.pages[page];
    writeDrafts(drafts);
    if (restored) {
      var notice = document.createElement("div");
      notice.className = "notice notice-info";
      notice.setAttribute("role", "status");
      notice.dataset.testid = "draft-restored";
      notice.textContent = document.body.dataset.msgDraftRestored || "Restored";
      var main = document.querySelector("main.page");
      if (main) main.insertBefore(notice, main.firstChild);
    }
  }

  // The operator an offline page scans for (scan.js) is forgotten at every sign-out and lock.
  function forgetOperator() {
    try { localStorage.removeItem("kiosk-last-operator"); } catch (e) { /* no storage */ }
  }
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.id === "logout-form") forgetOperator();
  }, true);

  // --- Idle lock ---------------------------------------------------------
  // After KIOSK_IDLE_MINUTES without a touch or key, sign out, and come back
  // to this page after signing in again. Typing and tapping are activity:
  // the server hears of them (at most once a minute, POST /alive), so a
  // clerk writing a long note is not locked out by the server either.
  var seconds = parseInt(document.body.dataset.idleSeconds || "0", 10);
  if (seconds > 0) {
    var timer, told = Date.now();
    var lock = function () {
      var form = document.getElementById("logout-form");
      if (!form) return;
      var active = document.activeElement;
      if (active) saveDraft(active);
      document.dispatchEvent(new CustomEvent("kiosk:locked"));  // the camera stops
      forgetOperator();
      var submit = function () {
        form.querySelector("input[name=idle]").value = "1";
        form.querySelector("input[name=next]").value = page;
        form.submit();
      };
      var health = document.body.dataset.healthUrl;
      if (!window.fetch || !health) { submit(); return; }
      // Only a sign-out that can reach the server is sent (else the browser's error page): until
      // then the screen locks here, and the sign-out goes as soon as the server answers.
      fetch(health, { cache: "no-store" }).then(submit, function () {
        if (!document.querySelector(".offline-lock")) {
          var cover = document.createElement("div");
          cover.className = "offline-lock";
          cover.dataset.testid = "offline-lock";
          cover.textContent = document.body.dataset.msgOfflineLock || "Locked";
          document.body.appendChild(cover);
          if (active && active.blur) active.blur();
        }
        setTimeout(lock, 10000);
      });
    };
    var tell = function () {
      var meta = document.querySelector("meta[name=csrf-token]");
      var url = document.body.dataset.aliveUrl;
      if (!url || !window.fetch) return;
      told = Date.now();
      fetch(url, { method: "POST", credentials: "same-origin",
                   headers: { "X-CSRFToken": meta ? meta.content : "", "X-Requested-With": "kiosk" } })
        .catch(function () { /* offline: the next request tells */ });
    };
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(lock, seconds * 1000);
      if (Date.now() - told > Math.min(60, seconds / 4) * 1000) tell();
    };
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true, capture: true });
    });
    // Any request to the server counts there too (not the background polls).
    document.addEventListener("htmx:beforeRequest", function (event) {
      var headers = event.detail && event.detail.requestConfig && event.detail.requestConfig.headers;
      if (!headers || headers["X-Kiosk-Background"] !== "1") told = Date.now();
    });
    reset();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restoreDrafts);
  else restoreDrafts();

  // --- The installable app: its service worker keeps the shell and the stations' offline pages.
  // Only on a secure origin (HTTPS, or the server's own machine); elsewhere the scan queue still
  // works and the offline banner says not to reload.
  var sw = document.body.dataset.swUrl;
  if (sw && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(sw, { scope: document.body.dataset.swScope || "/" })
      .catch(function () { /* blocked (a browser setting): the kiosk works as a plain page */ });
  }
})();
