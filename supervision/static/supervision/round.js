/* The inspector's checklist on a phone, offline-tolerant (no library, no CDN), in the manner of
 * points/sorting.js: every pass or fail becomes an entry with its own key, kept in localStorage
 * until the server answers; entries go one by one, oldest first, and a lost answer is harmless
 * because the server returns the first record for a repeated key. Photos are shrunk to 1,600 px
 * on the phone and queued as data URLs. The browser's location (a public place) is asked for
 * once and sent with each record when the inspector allows it.
 */
(function () {
  "use strict";
  var STORE = "meijia.inspection.queue.v1";
  var box = document.querySelector("[data-sync-box]");
  var where = document.querySelector("[data-location-state]");
  var point = null;
  var flushing = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(queue));
    } catch (e) {
      queue.forEach(function (entry) { entry.photo = null; });
      window.localStorage.setItem(STORE, JSON.stringify(queue));
    }
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function tag(text, extra) {
    var span = document.createElement("span");
    span.className = "tag" + (extra ? " " + extra : "");
    span.textContent = text;
    return span;
  }
  function render(queue) {
    queue = queue || load();
    if (box) {
      box.hidden = queue.length === 0 && !box.querySelector("[data-sync-errors] li");
      box.querySelector("[data-sync-count]").textContent = queue.length;
      var list = box.querySelector("[data-sync-list]");
      list.textContent = "";
      queue.forEach(function (entry) {
        var li = document.createElement("li");
        li.textContent = entry.name + " · " + entry.label;
        list.appendChild(li);
      });
    }
    var waiting = new Set(queue.map(function (entry) { return String(entry.item); }));
    document.querySelectorAll("[data-item]").forEach(function (row) {
      row.classList.toggle("queued", waiting.has(row.dataset.item));
    });
  }
  function dataUrlToBlob(url) {
    var parts = url.split(","), binary = window.atob(parts[1]), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: "image/jpeg" });
  }
  function shrink(file) {
    return new Promise(function (resolve) {
      var image = new Image(), url = URL.createObjectURL(file);
      image.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(image.width, image.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.width * scale);
        canvas.height = Math.round(image.height * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve(canvas.toDataURL("image/jpeg", 0.8));
      };
      image.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
      image.src = url;
    });
  }
  function remove(key) {
    var rest = load().filter(function (entry) { return entry.key !== key; });
    save(rest);
    return rest;
  }
  function done(entry, data) {
    var row = document.querySelector('[data-item="' + entry.item + '"]');
    if (!row) return;
    row.classList.add("recorded");
    var state = row.querySelector("[data-state]");
    if (state) {
      state.textContent = "";
      state.appendChild(tag(entry.label, data.is_pass ? "pass" : "fail"));
      if (data.order) {
        var link = document.createElement("a");
        link.href = "/supervision/orders/" + data.order + "/";
        link.textContent = " #" + data.order;
        state.appendChild(link);
      }
    }
  }
  function refused(entry, message) {
    if (!box) return;
    var li = document.createElement("li");
    li.textContent = entry.name + " · " + entry.label + ": " + message;
    box.querySelector("[data-sync-errors]").appendChild(li);
    var row = document.querySelector('[data-item="' + entry.item + '"]');
    if (row) row.classList.remove("recorded");
  }
  function flush() {
    if (flushing) return;
    var queue = load();
    if (!queue.length) { render(queue); return; }
    flushing = true;
    var entry = queue[0];
    var body = new FormData();
    body.append("item", entry.item);
    body.append("result", entry.result);
    body.append("key", entry.key);
    body.append("note", entry.note || "");
    if (entry.latitude !== null && entry.latitude !== undefined) {
      body.append("latitude", entry.latitude);
      body.append("longitude", entry.longitude);
    }
    if (entry.photo) body.append("photos", dataUrlToBlob(entry.photo), "photo.jpg");
    window.fetch(entry.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      var rest = remove(entry.key);
      if (data.ok) done(entry, data); else refused(entry, data.message);
      flushing = false;
      render(rest);
      flush();
    }, function () {
      flushing = false;  // offline or no answer: keep it, try again later
      render();
    });
  }
  function locate() {
    if (!where || !navigator.geolocation) return;
    where.textContent = where.dataset.asking;
    navigator.geolocation.getCurrentPosition(function (position) {
      point = { latitude: position.coords.latitude.toFixed(6), longitude: position.coords.longitude.toFixed(6) };
      where.textContent = where.dataset.found;
    }, function () {
      where.textContent = where.dataset.none;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  var lastButton = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-record-form] button[name=result]");
    if (button) lastButton = button;
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-record-form]")) return;
    event.preventDefault();
    var button = event.submitter || lastButton;
    if (!button) return;
    var file = form.elements.photos && form.elements.photos.files[0];
    var entry = {
      key: form.elements.key.value || newKey(),
      url: form.action,
      item: form.elements.item.value,
      result: button.value,
      label: button.textContent.trim(),
      name: form.dataset.name,
      note: form.elements.note ? form.elements.note.value : "",
      latitude: point ? point.latitude : null,
      longitude: point ? point.longitude : null,
      photo: null
    };
    form.elements.key.value = newKey();  // the next record of this item is another one
    (file ? shrink(file) : Promise.resolve(null)).then(function (photo) {
      entry.photo = photo;
      var queue = load();
      queue.push(entry);
      save(queue);
      var row = form.closest("[data-item]");
      if (row) row.classList.add("recorded");
      render(queue);
      flush();
    });
  });
  if (box) box.querySelector("[data-sync-now]").addEventListener("click", flush);
  window.addEventListener("online", flush);
  window.setInterval(flush, 20000);
  locate();
  render();
  flush();
})();
