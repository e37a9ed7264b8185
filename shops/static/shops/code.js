/* The villager's code page: a new code every 50 seconds, and a new one at once after use. */
(function () {
  "use strict";
  var box = document.getElementById("household-code");
  if (!box) return;
  var qr = box.querySelector("[data-role=qr]");
  var digits = box.querySelector("[data-role=digits]");
  var state = box.querySelector("[data-role=state]");
  var receipt = box.querySelector("[data-role=receipt]");
  var REFRESH_MS = 50000;
  var POLL_MS = 3000;
  var refreshTimer = null;
  var countdown = box.querySelector("[data-role=countdown]");
  var balance = document.querySelector("[data-role=balance]");
  var expiresAt = Date.now() + (parseInt(box.dataset.secondsLeft, 10) || 0) * 1000;

  function tick() {
    if (!countdown) return;
    var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    countdown.textContent = countdown.dataset.label.replace("{s}", left);
  }

  function show(data) {
    qr.innerHTML = data.svg;
    digits.dataset.digits = data.digits;
    digits.textContent = data.digits.slice(0, 4) + " " + data.digits.slice(4);
    expiresAt = Date.now() + (data.seconds_left || 0) * 1000;
    if (balance && data.balance !== undefined) balance.textContent = data.balance;
    tick();
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_MS);
  }

  function refresh() {
    fetch(box.dataset.newUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(show)
      .catch(function () { refreshTimer = setTimeout(refresh, 10000); });
  }

  function poll() {
    var url = box.dataset.statusUrl + "?digits=" + encodeURIComponent(digits.dataset.digits);
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : { used: false }; })
      .then(function (data) {
        if (data.used) {
          state.textContent = box.dataset.usedLabel;
          if (data.receipt_url) {
            receipt.hidden = false;
            receipt.querySelector("a").href = data.receipt_url;
          }
          refresh();
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  refreshTimer = setTimeout(refresh, REFRESH_MS);
  setTimeout(poll, POLL_MS);
  setInterval(tick, 1000);
  tick();
})();
