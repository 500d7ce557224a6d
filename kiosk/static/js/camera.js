// Camera scanning (扫码), for a tablet or phone without a wedge scanner. The rear camera opens in
// the station; every code it reads goes into the same queue as a wedge scan (scan.js, through its
// "kiosk:burst" event), with a short click and a pause, and the same code is not read again for
// three seconds. The decoder is ZXing-C++ built to WebAssembly (zxing-wasm, vendored in
// static/vendor), loaded only when the button is first tapped. Without a camera, a permission or
// a secure origin (HTTPS: a browser gives the camera to no plain-HTTP page), the button says why.
(function () {
  "use strict";

  var reader = null, stream = null, panel = null, timer = null, audio = null;
  var last = { code: "", at: 0 }, pausedUntil = 0;
  var REPEAT_MS = 3000, PAUSE_MS = 1200, EVERY_MS = 150;

  function msg(name, fallback) { return document.body.dataset[name] || fallback; }

  function say(message) {
    if (window.kioskScan && window.kioskScan.showError) window.kioskScan.showError(message);
  }

  function click() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 1400;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.05);
    } catch (e) { /* no sound: the answer still shows */ }
  }

  function loadReader(button) {
    if (reader) return reader;
    reader = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = button.dataset.zxingScript;
      script.onload = function () {
        window.ZXingWASM.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) {
              return /\.wasm$/.test(path) ? button.dataset.zxingWasm : prefix + path;
            }
          },
          fireImmediately: true
        }).then(function () { resolve(window.ZXingWASM); }, reject);
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
    reader.catch(function () { reader = null; });
    return reader;
  }

  var starting = false, closedWhileStarting = false;

  function close() {
    if (starting) closedWhileStarting = true;
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    if (panel) panel.remove();
    panel = null;
    document.querySelectorAll("[data-camera-button]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
  }

  function showPanel(form) {
    panel = document.createElement("div");
    panel.className = "camera-panel";
    panel.dataset.testid = "camera-panel";
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    video.autoplay = true;
    panel.appendChild(video);
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "btn btn-big";
    stop.dataset.cameraClose = "1";
    stop.dataset.testid = "camera-close";
    stop.textContent = msg("msgCameraClose", "Close the camera");
    panel.appendChild(stop);
    form.parentNode.insertBefore(panel, form.nextSibling);
    return video;
  }

  function watch(video, zxing) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    function next() { timer = setTimeout(tick, EVERY_MS); }
    function tick() {
      if (!stream) return;
      if (video.readyState < 2 || Date.now() < pausedUntil || !video.videoWidth) { next(); return; }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      var frame = context.getImageData(0, 0, canvas.width, canvas.height);
      zxing.readBarcodes(frame, { formats: ["QRCode", "DataMatrix", "Code128"], maxNumberOfSymbols: 1,
                                  tryHarder: true })
        .then(function (found) {
          var hit = (found || []).filter(function (r) { return r.isValid && r.text; })[0];
          var now = Date.now();
          if (hit && !(hit.text === last.code && now - last.at < REPEAT_MS)) {
            last = { code: hit.text, at: now };
            pausedUntil = now + PAUSE_MS;
            click();
            if (panel) {
              panel.classList.add("camera-hit");
              setTimeout(function () { if (panel) panel.classList.remove("camera-hit"); }, 400);
            }
            document.dispatchEvent(new CustomEvent("kiosk:burst", { detail: { code: hit.text }, cancelable: true }));
          }
        }, function () { /* a frame it could not read: the next one */ })
        .then(next);
    }
    tick();
  }

  function open(button) {
    var form = button.closest("form[data-scan-form]");
    if (!form) return;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(msg("msgCameraHttps", "The camera needs HTTPS."));
      return;
    }
    if (starting) return;  // a second tap while the permission is asked
    starting = true;
    closedWhileStarting = false;
    button.setAttribute("aria-pressed", "true");
    navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" },
                                                                width: { ideal: 1280 }, height: { ideal: 720 } } })
      .then(function (got) {
        starting = false;
        if (closedWhileStarting) {  // closed (or locked) while it was starting: it never opens
          got.getTracks().forEach(function (track) { track.stop(); });
          button.setAttribute("aria-pressed", "false");
          return;
        }
        stream = got;
        var video = showPanel(form);
        video.srcObject = got;
        var playing = video.play();
        return Promise.all([loadReader(button), playing]).then(function (ready) { watch(video, ready[0]); });
      })
      .catch(function (error) {
        starting = false;
        close();
        var name = error && error.name;
        say(name === "NotAllowedError" || name === "SecurityError" ? msg("msgCameraDenied", "No permission")
          : name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError"
            ? msg("msgCameraNone", "No camera") : msg("msgCameraFailed", "The camera could not start"));
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-camera-button]");
    if (button) {
      if (stream) close(); else open(button);
      return;
    }
    if (event.target.closest("[data-camera-close]")) close();
  });
  document.addEventListener("visibilitychange", function () { if (document.hidden) close(); });
  document.addEventListener("kiosk:locked", close);
  window.addEventListener("pagehide", close);
})();
