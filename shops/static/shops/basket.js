/* The counter's basket: the running total, and a warning when it passes the balance. */
(function () {
  "use strict";
  var form = document.getElementById("basket");
  if (!form) return;
  var balance = parseInt(form.dataset.balance, 10) || 0;
  var total = form.querySelector("[data-role=total]");
  function update() {
    var sum = 0;
    form.querySelectorAll("input[data-price]").forEach(function (input) {
      var quantity = parseInt(input.value, 10) || 0;
      sum += quantity * (parseInt(input.dataset.price, 10) || 0);
    });
    total.textContent = sum;
    total.parentNode.classList.toggle("over", sum > balance);
  }
  form.addEventListener("input", update);
  update();
})();
