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

  // --- The scan queue: kept on the tablet until the server has answered ----------
  // Every scan that moves a garment gets an id of its own when it is scanned and is
  // kept in IndexedDB (the tablet's storage) until the server has answered it. Scans
  // go one at a time, in scan order, each carrying its id (the server's request key:
  // the same scan sent again moves nothing more) and when it was scanned. A scan whose
  // request never got an answer (the Wi-Fi dropped, the answer was lost on its way)
  // stays at the head of the queue and is sent again when the connection is back.
  // Scans found in storage when the page opens (a reload, a sign-in after the idle
  // lock) are sent only as the operator who scanned them, after one tap by them.
  var DB_NAME = "kiosk-scan-queue", STORE = "scans";
  var dbOpen = null;
  var memory = {};            // the queue when the browser has no IndexedDB (private mode)
  var entries = [];           // this station's queued and answered scans, in scan order
  var fresh = {};             // ids scanned on this page: sent without asking
  var statuses = {};          // scan id -> HTTP status of its request (0: no answer)
  var pumping = false, retryTimer = null, offline = false, counter = 0;

  function openDb() {
    if (dbOpen) return dbOpen;
    dbOpen = new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      try {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { resolve(null); };
      } catch (e) { resolve(null); }
    });
    return dbOpen;
  }

  function store(mode, work) {
    return openDb().then(function (db) {
      if (!db) return work(null);
      return new Promise(function (resolve) {
        var tx = db.transaction(STORE, mode), result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { resolve(result); };
        result = work(tx.objectStore(STORE));
      });
    });
  }

  function keep(entry) {
    return store("readwrite", function (os) { if (os) os.put(entry); else memory[entry.id] = entry; });
  }

  function drop(id) {
    return store("readwrite", function (os) { if (os) os.delete(id); else delete memory[id]; });
  }

  function stored() {
    return openDb().then(function (db) {
      if (!db) return Object.keys(memory).map(function (k) { return memory[k]; });
      return new Promise(function (resolve) {
        var request = db.transaction(STORE, "readonly").objectStore(STORE).getAll();
        request.onsuccess = function () { resolve(request.result || []); };
        request.onerror = function () { resolve([]); };
      });
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    counter += 1;
    return Date.now().toString(36) + counter.toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // The operator: the signed-in one; on an offline page (no sign-in can be checked), the one who
  // last worked on this tablet (an id and a name, nothing else, kept in localStorage).
  var OPERATOR_KEY = "kiosk-last-operator";
  var offlinePage = document.body.dataset.offlinePage === "1";
  function remembered() {
    try { return JSON.parse(localStorage.getItem(OPERATOR_KEY) || "null") || {}; } catch (e) { return {}; }
  }
  function me() { return document.body.dataset.operator || (offlinePage ? remembered().id || "" : ""); }
  function myName() { return document.body.dataset.operatorName || (offlinePage ? remembered().name || "" : ""); }
  // A station's queue is its page's: the offline page stands in at the station's own address.
  function stationOf() { return location.pathname; }
  if (document.body.dataset.operator) {
    try {
      localStorage.setItem(OPERATOR_KEY, JSON.stringify({ id: document.body.dataset.operator,
                                                        name: document.body.dataset.operatorName || "" }));
    } catch (e) { /* no storage: an offline page then takes no scans */ }
  }
  function msg(name, fallback) { return document.body.dataset[name] || fallback; }

  function mine(entry) { return entry.operator === me(); }
  function waiting(entry) { return entry.state === "waiting" || entry.state === "sending"; }
  function sendable(entry) { return waiting(entry) && mine(entry) && fresh[entry.id] && !offlinePage; }
  function locked() { return !!document.querySelector(".offline-lock"); }
  // What no request may wait for longer (a stalled Wi-Fi): then it is sent again, with its id.
  function timeoutMs() { return parseInt(document.body.dataset.scanTimeout || "15000", 10); }
  //: answers that are not the kiosk's (a proxy's while it restarts, a timeout): sent again later
  var NOT_ANSWERED = { 0: 1, 408: 1, 429: 1, 502: 1, 503: 1, 504: 1 };
  var QUEUE_LIMIT_MS = 12 * 3600 * 1000;

  // --- what the station shows of the queue ---
  function queueList() {
    var rows = document.getElementById("scan-waiting-rows");
    if (rows) return rows;
    var form = document.querySelector("form[data-scan-form]");
    if (!form) return null;
    rows = document.createElement("ul");
    rows.id = "scan-waiting-rows";
    rows.className = "scan-waiting-list";
    form.parentNode.insertBefore(rows, form.nextSibling);
    return rows;
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) {
    var d = new Date(ms);
    return twoDigits(d.getHours()) + ":" + twoDigits(d.getMinutes()) + ":" + twoDigits(d.getSeconds());
  }

  function rowOf(entry) {
    var list = queueList();
    if (!list) return null;
    var row = list.querySelector("[data-scan-id='" + entry.id + "']");
    if (!row) {
      var cell = list.tagName === "TBODY";
      row = document.createElement(cell ? "tr" : "li");
      row.dataset.scanId = entry.id;
      row.dataset.testid = "queued-scan";
      // A code as long as a paragraph (a scanner gone wrong) is shown by its start: the list stays a list.
      var shown = entry.code.length > 40 ? entry.code.slice(0, 40) + "…" : entry.code;
      var parts = [clock(entry.scannedAt), shown, ""];
      parts.forEach(function (text, i) {
        var part = document.createElement(cell ? "td" : "span");
        if (i === 1) part.className = "tag-code";
        if (i === 2) { part.className = "queue-state"; if (cell) part.colSpan = 3; }
        part.textContent = text;
        row.appendChild(part);
      });
      list.insertBefore(row, list.firstChild);  // newest first, as the shift's list
    }
    return row;
  }

  function shorten(text, most) { return text.length > most ? text.slice(0, most) + "…" : text; }

  function showEntry(entry) {
    var row = rowOf(entry);
    if (!row) return;
    row.dataset.queueState = entry.state;
    row.className = "scan-queued scan-queued-" + entry.state;
    var text = {
      waiting: mine(entry) ? msg("msgQueueWaiting", "Waiting to be sent")
        : msg("msgQueueOther", "Waiting for {name} to sign in").replace("{name}", entry.operatorName || ""),
      sending: msg("msgQueueSending", "Sending…"),
      duplicate: msg("msgQueueDuplicate", "Already scanned: nothing new recorded"),
      // the reason's start: the whole of it is in the answer area (a 500-character code is not repeated)
      refused: (msg("msgRefused", "Not done") + ": " + shorten(entry.message || "", 120))
    }[entry.state] || "";
    var state = row.querySelector(".queue-state");
    state.textContent = text;
    if ((entry.state === "refused" || entry.state === "duplicate") && !row.querySelector("[data-queue-dismiss]")) {
      var ok = document.createElement("button");
      ok.type = "button";
      ok.className = "btn btn-quiet";
      ok.dataset.queueDismiss = entry.id;
      ok.dataset.testid = "queue-dismiss";
      ok.textContent = msg("msgQueueDismiss", "Seen");
      state.appendChild(document.createTextNode(" "));
      state.appendChild(ok);
    }
  }

  function banner() {
    var shown = document.getElementById("scan-queue-banner");
    if (!shown) return;
    var left = entries.filter(waiting);
    var own = left.filter(mine);
    var held = own.filter(function (e) { return !fresh[e.id]; });
    var text = "";
    if (offline || !navigator.onLine) {
      text = left.length ? msg("msgQueueOffline", "Offline — {n} waiting to be sent").replace("{n}", left.length)
        : msg("msgQueueOfflineEmpty", "Offline — scans are kept and sent when the connection is back");
      // Without a service worker (plain HTTP) a reload now would show the browser's error page.
      if (!offlinePage && !(navigator.serviceWorker && navigator.serviceWorker.controller)) {
        text += " " + msg("msgQueueNoReload", "");
      }
    } else if (held.length) {
      text = msg("msgQueueHeld", "{n} scans from before wait to be sent").replace("{n}", held.length);
    } else if (left.length && !own.length) {
      text = msg("msgQueueOthers", "{n} scans wait for the operator who made them").replace("{n}", left.length);
    }
    shown.hidden = !text;
    shown.dataset.waiting = String(left.length);
    shown.dataset.offline = offline || !navigator.onLine ? "1" : "0";
    var line = shown.querySelector("[data-queue-text]");
    if (line) line.textContent = text;
    var send = shown.querySelector("[data-queue-send]");
    if (send) send.hidden = !(held.length && navigator.onLine && !offline);
  }

  function forget(entry) {
    entries = entries.filter(function (e) { return e.id !== entry.id; });
    var row = rowOf(entry);
    if (row) row.remove();
  }

  // --- sending ---
  function outcomeNow() {
    var result = document.getElementById("scan-result");
    var word = result ? result.dataset.scanResult : "";
    var text = result ? result.querySelector("[data-testid=result-message], .result-message") : null;
    return { word: word, message: text ? text.textContent.trim() : "" };
  }

  function send(entry, retried) {
    // How long it waited, on this tablet's own clock (a wrong clock still measures rightly), and
    // who made it (the server refuses it under anyone else's sign-in, and the tablet keeps it).
    var values = Object.assign({}, entry.values, { code: entry.code, scan_id: entry.id,
                                                   scan_age: String(Math.max(0, Date.now() - entry.scannedAt)),
                                                   scan_operator: entry.operator });
    delete values.csrf_token;
    delete statuses[entry.id];
    return htmx.ajax("POST", entry.url, {
      target: "#scan-result", swap: "outerHTML", values: values,
      headers: { "X-CSRFToken": csrfToken(), "X-Kiosk-Scan-Id": entry.id }
    }).then(function () {
      var status = statuses[entry.id] || 0;
      var xhr = statuses[entry.id + ":xhr"];
      delete statuses[entry.id]; delete statuses[entry.id + ":xhr"];
      if (NOT_ANSWERED[status]) return "lost";
      if (xhr && xhr.getResponseHeader("HX-Redirect")) return "signed-out";  // locked: kept for its operator
      if (status === 409 && xhr && xhr.getResponseHeader("X-Kiosk-Queue") === "held") return "held";
      var trigger = xhr ? (xhr.getResponseHeader("HX-Trigger") || "") : "";
      if (status === 400 && trigger.indexOf("kiosk:csrf-token") >= 0 && !retried) return send(entry, true);
      return status >= 400 ? "refused" : "answered";
    }, function () { return "lost"; });
  }

  function pump() {
    if (pumping || typeof htmx === "undefined") return;
    var entry = entries.filter(sendable).sort(function (a, b) { return a.scannedAt - b.scannedAt; })[0];
    if (!entry) { banner(); return; }
    pumping = true;
    entry.state = "sending";
    showEntry(entry);
    send(entry).then(function (how) {
      pumping = false;
      if (how === "lost") {
        entry.state = "waiting";
        offline = true;
        showEntry(entry);
        banner();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(function () { offline = false; pump(); }, 4000);
        return;
      }
      if (how === "signed-out" || how === "held") {
        // Signed out meanwhile, or another operator signed in on this tablet: every scan still
        // waiting stays, for the operator who made it.
        entries.forEach(function (e) { if (waiting(e)) { e.state = "waiting"; delete fresh[e.id]; showEntry(e); } });
        banner();
        return;
      }
      offline = false;
      var answer = outcomeNow();
      if (how === "refused") {  // 403, 404, 409, 500: the answer may be a toast, not the answer area
        var toast = document.getElementById("toast");
        answer = { word: "error", message: answer.word === "error" ? answer.message
                   : (toast && !toast.hidden ? toast.textContent.trim() : msg("msgServerError", "Error")) };
      }
      drop(entry.id);
      if (answer.word === "ok") {
        forget(entry);  // the server's row is in the shift's list now
      } else {
        entry.state = answer.word === "duplicate" ? "duplicate" : "refused";
        entry.message = answer.message;
        showEntry(entry);
        if (entry.state === "duplicate") setTimeout(function () { forget(entry); }, 15000);
      }
      banner();
      pump();
    });
  }

  // One scan: into the queue (kept before it is sent), then sent in its turn.
  function sendScan(form, code) {
    var lookup = form.dataset.mode === "lookup";
    if (lookup) {
      // A lookup is a GET: its values go in the URL (the server's log, the
      // history), so it carries the code alone: no CSRF token, no other field.
      htmx.ajax("GET", form.dataset.lookupUrl, { target: "#scan-result", swap: "outerHTML", values: { code: code } });
      return;
    }
    if (locked()) return;  // the screen locked itself: nobody's scan until a sign-in
    if (!me()) {  // an offline page nobody signed in before: nobody to send it as
      showLocalError(msg("msgQueueNoOperator", "Nobody is signed in"));
      return;
    }
    // The operator scanning again is the one tap that sends their scans from before, in order.
    entries.forEach(function (e) { if (waiting(e) && mine(e)) fresh[e.id] = true; });
    var values = formValues(form);
    delete values.code;
    delete values.csrf_token;
    var entry = { id: newId(), code: code, url: form.action, values: values, scannedAt: Date.now(),
                  operator: me(), operatorName: myName(), station: stationOf(), state: "waiting",
                  stationTitle: (document.querySelector("h1") || {}).textContent || "" };
    fresh[entry.id] = true;
    entries.push(entry);
    showEntry(entry);
    banner();
    keep(entry).then(pump);
  }

  document.addEventListener("htmx:beforeSend", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (config && config.headers && config.headers["X-Kiosk-Scan-Id"] && event.detail.xhr) {
      event.detail.xhr.timeout = timeoutMs();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail && event.detail.requestConfig;
    var id = config && config.headers && config.headers["X-Kiosk-Scan-Id"];
    if (!id) return;
    var xhr = event.detail.xhr;
    statuses[id] = xhr ? xhr.status : 0;
    statuses[id + ":xhr"] = xhr;
  });

  // On a page without a scan field (the home screen after signing in): where this operator's
  // scans wait, each station once, with a link to it (its page sends them with one tap).
  function showQueuesElsewhere() {
    var slot = document.getElementById("queue-elsewhere");
    if (!slot || !me()) return;
    stored().then(function (all) {
      var stations = {};
      all.filter(function (e) { return waiting(e) && mine(e); }).forEach(function (e) {
        stations[e.station] = stations[e.station] || { title: e.stationTitle || e.station, count: 0 };
        stations[e.station].count += 1;
      });
      Object.keys(stations).forEach(function (path) {
        var link = document.createElement("a");
        link.className = "btn btn-primary btn-big";
        link.href = path;
        link.dataset.testid = "queue-elsewhere-link";
        link.textContent = msg("msgQueueElsewhere", "{station}: {n} scans waiting").replace("{station}", stations[path].title)
          .replace("{n}", stations[path].count);
        slot.appendChild(link);
      });
      slot.hidden = !Object.keys(stations).length;
    });
  }

  // The scans this tablet kept for this station from before (a reload, a sign-in).
  function restoreQueue() {
    if (!document.querySelector("form[data-scan-form]")) { showQueuesElsewhere(); return; }
    stored().then(function (all) {
      var now = Date.now();
      all.filter(function (e) { return e.station === stationOf() && waiting(e); })
        .sort(function (a, b) { return a.scannedAt - b.scannedAt; })
        .forEach(function (e) {
          if (entries.some(function (known) { return known.id === e.id; })) return;
          entries.push(e);
          if (now - e.scannedAt > QUEUE_LIMIT_MS) {  // the server would refuse it: said once, then gone
            e.state = "refused";
            e.message = msg("msgQueueTooOld", "Scanned over 12 hours ago: scan it again");
            drop(e.id);
          } else {
            e.state = "waiting";
          }
          showEntry(e);
        });
      entries.sort(function (a, b) { return a.scannedAt - b.scannedAt; });
      banner();
      pump();  // scans made on this page before the stored ones were read
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-queue-send]")) {
      entries.filter(function (e) { return waiting(e) && mine(e); }).forEach(function (e) { fresh[e.id] = true; });
      offline = false;
      pump();
    }
    var dismiss = event.target.closest("[data-queue-dismiss]");
    if (dismiss) {
      var entry = entries.filter(function (e) { return e.id === dismiss.dataset.queueDismiss; })[0];
      if (entry) forget(entry);
      banner();
    }
  });
  window.addEventListener("online", function () {
    if (offlinePage) { comeBack(); return; }  // the real page, with its sign-in, comes back
    offline = false; banner(); pump();
  });
  // The offline page asks the server now and then (the Wi-Fi may be up and the server down).
  function comeBack() {
    var url = document.body.dataset.healthUrl;
    if (!url || !window.fetch) { location.reload(); return; }
    fetch(url, { cache: "no-store" }).then(function (r) { if (r.ok) location.reload(); }, function () {});
  }
  if (offlinePage) setInterval(comeBack, 10000);
  window.addEventListener("offline", function () { offline = true; banner(); });

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
  document.addEventListener("htmx:sendError", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (config && config.headers && config.headers["X-Kiosk-Scan-Id"]) return;  // kept in the queue: the banner says
    showError(document.body.dataset.msgOffline || "Offline");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400 && event.detail.target && event.detail.target.id !== "scan-result") dimAnswer();
  });

  // The tablet does not sleep while a station is open (Screen Wake Lock, where the browser has it).
  var wakeLock = null;
  function stayAwake() {
    if (!navigator.wakeLock || document.visibilityState !== "visible" || wakeLock
        || !document.querySelector("form[data-scan-form]")) return;
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      lock.addEventListener("release", function () { wakeLock = null; });
    }).catch(function () { /* not allowed (no secure origin, power saving): the tablet may sleep */ });
  }
  document.addEventListener("visibilitychange", stayAwake);

  // For camera.js: an answer of its own (no camera, no permission) where the person looks.
  window.kioskScan = { showError: showLocalError };

  document.addEventListener("DOMContentLoaded", function () {
    refocus(); restoreQueue(); stayAwake();
    if (offlinePage) { offline = true; banner(); }
  });
})();
