/* Offline-tolerant grading for the sorting round screens (no library, no CDN).
 *
 * Every tap becomes an entry with its own idempotency key, kept in localStorage until the server
 * has answered. Entries are sent one by one, oldest first; a network failure leaves them queued
 * (shown in the sync box) and they are sent again when the phone is back online, on "Sync now",
 * or every 20 seconds. The server returns the first result for a repeated key, so an entry whose
 * answer was lost is never counted twice. Photos are shrunk to 1,600 px on the phone and queued
 * with their grade as a data URL.
 */
(function () {
  "use strict";
  var STORE = "meijia.sorting.queue.v1";
  var box = document.querySelector("[data-sync-box]");
  var flushing = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(queue));
    } catch (e) {
      // Storage full (photos): keep the grades, drop the waiting photos.
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
  function rowOf(household) {
    return document.querySelector('[data-household="' + household + '"]');
  }
  function tag(text, extra) {
    var span = document.createElement("span");
    span.className = "tag" + (extra ? " " + extra : "");
    span.textContent = text;
    return span;
  }
  function countGraded() {
    var counter = document.querySelector("[data-graded]");
    if (counter) counter.textContent = document.querySelectorAll(".sheet .sheet-row.graded, .sheet .sheet-row.queued").length;
  }
  function render(queue) {
    queue = queue || load();
    if (box) {
      box.hidden = queue.length === 0 && !box.querySelector("[data-sync-errors] li");
      box.querySelector("[data-sync-count]").textContent = queue.length;
      var list = box.querySelector("[data-sync-list]");
      list.textContent = "";
      queue.forEach(function (entry) {
        var item = document.createElement("li");
        item.textContent = entry.name + " · " + entry.label + (entry.photo && box ? " · " + box.dataset.photo : "");
        list.appendChild(item);
      });
    }
    var waitingFor = new Set(queue.map(function (entry) { return entry.household; }));
    document.querySelectorAll("[data-household]").forEach(function (row) {
      var waiting = waitingFor.has(row.dataset.household);
      row.classList.toggle("queued", waiting);
      var state = row.querySelector("[data-state]");
      var marker = state && state.querySelector(".waiting");
      if (waiting && state && !marker && box) state.appendChild(tag(box.dataset.waiting, "waiting"));
      if (!waiting && marker) marker.remove();
    });
    countGraded();
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
    var row = rowOf(entry.household);
    if (!row) return;
    if (data.row_html && row.tagName === "LI") {
      // The server's own drawing of the row: the grade given, with "change" and "undo".
      var holder = document.createElement("ul");
      holder.innerHTML = data.row_html.trim();
      if (holder.firstElementChild) { row.replaceWith(holder.firstElementChild); return; }
    }
    row.classList.add("graded");
    var state = row.querySelector("[data-state]");
    if (state) {
      state.appendChild(tag(data.grade));
      if (data.is_conflict && box && !state.querySelector(".conflict")) state.appendChild(tag(box.dataset.conflict, "conflict"));
    }
  }
  function refused(entry, message) {
    if (!box) return;
    var item = document.createElement("li");
    item.textContent = entry.name + " · " + entry.label + ": " + message;
    box.querySelector("[data-sync-errors]").appendChild(item);
  }
  function flush() {
    if (flushing) return;
    var queue = load();
    if (!queue.length) { render(queue); return; }
    flushing = true;
    var entry = queue[0];
    var body = new FormData();
    body.append("household", entry.household);
    body.append("grade", entry.grade);
    body.append("key", entry.key);
    body.append("note", entry.note || "");
    body.append("next", entry.next || "");
    if (entry.photo) body.append("photo", dataUrlToBlob(entry.photo), "photo.jpg");
    window.fetch(entry.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var rest = remove(entry.key);
      if (result.data.ok) done(entry, result.data); else refused(entry, result.data.message);
      flushing = false;
      render(rest);
      flush();
    }, function () {
      flushing = false;  // offline or no answer: keep the entry and try again later
      render();  // read again: a grade may have been queued while this one was on its way
    });
  }

  var lastButton = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-grade-form] button[name=grade]");
    if (button) lastButton = button;
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-grade-form]")) return;
    event.preventDefault();
    var button = event.submitter || lastButton;
    if (!button) return;
    var entry = {
      key: newKey(),
      url: form.action,
      household: form.elements.household.value,
      grade: button.value,
      label: button.textContent.trim(),
      name: form.dataset.name,
      note: form.elements.note ? form.elements.note.value : "",
      photo: null,
      next: window.location.pathname + window.location.search,
      at: Date.now()
    };
    var file = form.elements.photo && form.elements.photo.files[0];
    (file ? shrink(file) : Promise.resolve(null)).then(function (photo) {
      entry.photo = photo;
      var queue = load();
      queue.push(entry);
      save(queue);
      if (form.elements.note) form.elements.note.value = "";
      if (form.elements.photo) form.elements.photo.value = "";
      render(queue);
      flush();
    });
  });
  if (box) box.querySelector("[data-sync-now]").addEventListener("click", flush);
  window.addEventListener("online", flush);
  window.setInterval(flush, 20000);
  render();
  flush();
})();
