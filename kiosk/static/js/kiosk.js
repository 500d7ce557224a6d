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

  // Idle lock: after KIOSK_IDLE_MINUTES without a touch or key, sign out.
  // The server enforces the same limit; this only makes the screen follow.
  var seconds = parseInt(document.body.dataset.idleSeconds || "0", 10);
  if (seconds > 0) {
    var timer;
    var lock = function () {
      var form = document.getElementById("logout-form");
      if (!form) return;
      form.querySelector("input[name=idle]").value = "1";
      form.submit();
    };
    var reset = function () { clearTimeout(timer); timer = setTimeout(lock, seconds * 1000); };
    ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    reset();
  }
})();
