// Kiosk behaviour that needs the browser: the PIN pad and the idle lock.
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
