// Finger signature pad for the loan form: a <canvas data-signature-pad> inside a
// form; every stroke ends by writing the canvas as a PNG data URL into the
// form's [data-signature-value] hidden field. Delegated listeners, so a form
// swapped in by htmx works without setting anything up again.
(function () {
  "use strict";
  if (window.kioskSignature) return;
  window.kioskSignature = true;

  var drawing = null;

  function point(canvas, event) {
    var rect = canvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * canvas.width / rect.width,
             y: (event.clientY - rect.top) * canvas.height / rect.height };
  }

  function field(canvas) {
    var form = canvas.closest("form");
    return form ? form.querySelector("[data-signature-value]") : null;
  }

  document.addEventListener("pointerdown", function (event) {
    var canvas = event.target.closest && event.target.closest("canvas[data-signature-pad]");
    if (!canvas) return;
    event.preventDefault();
    if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
    var ctx = canvas.getContext("2d");
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    var p = point(canvas, event);
    ctx.beginPath(); ctx.moveTo(p.x, p.y);
    drawing = { canvas: canvas, ctx: ctx };
  });

  document.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(drawing.canvas, event);
    drawing.ctx.lineTo(p.x, p.y); drawing.ctx.stroke();
  });

  function finish() {
    if (!drawing) return;
    var target = field(drawing.canvas);
    if (target) target.value = drawing.canvas.toDataURL("image/png");
    drawing = null;
  }
  document.addEventListener("pointerup", finish);
  document.addEventListener("pointercancel", finish);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-signature-clear]");
    if (!button) return;
    var form = button.closest("form");
    var canvas = form && form.querySelector("canvas[data-signature-pad]");
    if (canvas) canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    var target = form && form.querySelector("[data-signature-value]");
    if (target) target.value = "";
  });
})();
