/*
 * The camera scanner for every page: each <input data-scanner> inside a form gets a camera
 * button. Pressing it opens the back camera, decodes a QR code, puts the text in the input and
 * submits the form. Typing the code keeps working without the camera.
 *
 * Decoding: the browser's own BarcodeDetector where it reads QR codes (Chrome on Android), else
 * jsQR (vendored from npm by scripts/vendor.mjs, loaded from our own server on first use only).
 * Labels come from data- attributes on this script's tag, so they are translated by Django.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = (script && script.dataset) || {};
  var decoderUrl = config.decoder;
  var labels = {
    scan: config.labelScan || "Scan",
    close: config.labelClose || "Close",
    noCamera: config.labelNoCamera || "The camera cannot be opened. Please type the number.",
    hint: config.labelHint || "Point the camera at the code",
  };
  var jsqrLoading = null;

  function canUseCamera() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (jsqrLoading) return jsqrLoading;
    jsqrLoading = new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = decoderUrl;
      tag.onload = function () { resolve(window.jsQR); };
      tag.onerror = function () { jsqrLoading = null; reject(new Error("decoder")); };
      document.head.appendChild(tag);
    });
    return jsqrLoading;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function submit(input, text) {
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new CustomEvent("scanner:decoded", { bubbles: true, detail: { text: text } }));
    var form = input.form;
    if (!form || input.dataset.scannerSubmit === "no") return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function openScanner(input) {
    var overlay = document.createElement("div");
    overlay.className = "scanner-overlay";
    overlay.setAttribute("role", "dialog");
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var hint = document.createElement("p");
    hint.className = "scanner-hint";
    hint.textContent = labels.hint;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button secondary scanner-close";
    close.textContent = labels.close;
    overlay.appendChild(video);
    overlay.appendChild(hint);
    overlay.appendChild(close);
    document.body.appendChild(overlay);

    var stream = null;
    var stopped = false;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });

    function stop() {
      stopped = true;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
    }
    close.addEventListener("click", stop);

    function fail() {
      stop();
      input.focus();
      var note = input.form && input.form.querySelector(".scanner-error");
      if (!note) {
        note = document.createElement("p");
        note.className = "scanner-error notice";
        input.insertAdjacentElement("afterend", note);
      }
      note.textContent = labels.noCamera;
    }

    function found(text) {
      if (stopped || !text) return false;
      stop();
      submit(input, text);
      return true;
    }

    function loop(detector, decode) {
      if (stopped) return;
      if (video.readyState >= 2 && video.videoWidth) {
        if (detector) {
          detector.detect(video).then(function (codes) {
            if (!(codes.length && found(codes[0].rawValue))) setTimeout(function () { loop(detector, decode); }, 120);
          }).catch(function () {
            // The phone's own reader failed: go on with jsQR (a null decoder would poll forever).
            loadJsQR().then(function (jsqr) { loop(null, jsqr); }).catch(fail);
          });
          return;
        }
        if (decode) {
          var scale = Math.min(1, 640 / video.videoWidth);
          canvas.width = Math.round(video.videoWidth * scale);
          canvas.height = Math.round(video.videoHeight * scale);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var result = decode(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          if (result && found(result.data)) return;
        }
      }
      setTimeout(function () { loop(detector, decode); }, 120);
    }

    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        if (stopped) { stop(); return; }
        video.srcObject = media;
        return video.play();
      })
      .then(function () { return nativeDetector(); })
      .then(function (detector) {
        if (detector) return loop(detector, null);
        return loadJsQR().then(function (decode) { loop(null, decode); });
      })
      .catch(fail);
  }

  function enhance(input) {
    if (input.dataset.scannerReady) return;
    input.dataset.scannerReady = "1";
    if (!canUseCamera()) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button scanner-button";
    button.textContent = labels.scan;
    button.addEventListener("click", function () { openScanner(input); });
    input.insertAdjacentElement("afterend", button);
    if (input.dataset.scannerAutostart === "yes") openScanner(input);
  }

  var STYLE =
    ".scanner-overlay{position:fixed;inset:0;z-index:1000;background:#000;display:flex;" +
    "flex-direction:column;align-items:center;justify-content:center;gap:.8rem;padding:1rem}" +
    ".scanner-overlay video{width:100%;max-width:480px;max-height:70vh;object-fit:cover;" +
    "border-radius:8px}.scanner-hint{color:#fff;font-size:1.1rem;margin:0}" +
    ".scanner-close{max-width:480px}.scanner-button{margin:.4rem 0}";

  function addStyle() {
    if (document.getElementById("scanner-style")) return;
    var tag = document.createElement("style");
    tag.id = "scanner-style";
    tag.textContent = STYLE;
    document.head.appendChild(tag);
  }

  function enhanceAll(root) {
    addStyle();
    var inputs = (root || document).querySelectorAll("input[data-scanner]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i]);
  }

  window.meijiaScanner = { enhance: enhanceAll, open: openScanner };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
})();
