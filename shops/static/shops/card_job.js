/* The card printing page: follow the task's progress, then offer the download. */
(function () {
  "use strict";
  var box = document.getElementById("card-job");
  if (!box || box.dataset.running !== "1") return;
  var bar = box.querySelector("[data-role=bar]");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        box.querySelector("[data-role=status]").textContent = data.status_label;
        box.querySelector("[data-role=count]").textContent = data.done + " / " + data.total;
        if (data.status === "done") box.querySelector("[data-role=download]").hidden = false;
        if (data.is_running) setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
