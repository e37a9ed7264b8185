/* The counter's basket: − / + steppers, the running total and what is left, and every + that
 * would pass the balance, the stock or the month's limit switched off. Without this script the
 * numbers can still be typed; the server checks everything again at confirmation. */
(function () {
  "use strict";
  var form = document.getElementById("basket");
  if (!form) return;
  var balance = parseInt(form.dataset.balance, 10) || 0;
  var total = form.querySelector("[data-role=total]");
  var left = form.querySelector("[data-role=left]");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-price]"));

  function quantity(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function update() {
    var sum = 0;
    inputs.forEach(function (input) { sum += quantity(input) * (parseInt(input.dataset.price, 10) || 0); });
    var rest = balance - sum;
    total.textContent = sum;
    if (left) left.textContent = rest;
    total.parentNode.classList.toggle("over", rest < 0);
    inputs.forEach(function (input) {
      var item = input.closest(".basket-item");
      var price = parseInt(input.dataset.price, 10) || 0;
      var most = parseInt(input.max, 10) || 0;
      var minus = item.querySelector("[data-step='-1']");
      var plus = item.querySelector("[data-step='1']");
      if (input.disabled) return;
      minus.disabled = quantity(input) <= 0;
      plus.disabled = quantity(input) >= most || price > rest;
    });
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.step");
    if (!button || button.disabled) return;
    var input = button.parentNode.querySelector("input[data-price]");
    var next = quantity(input) + parseInt(button.dataset.step, 10);
    var most = parseInt(input.max, 10) || 0;
    input.value = Math.max(0, Math.min(most, next));
    update();
  });
  form.addEventListener("input", update);
  // One confirmation per basket: a second tap while the first is on its way does nothing.
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  // Back from the receipt (the page restored as it was): the basket may be sent again.
  window.addEventListener("pageshow", function () { delete form.dataset.sent; update(); });
  update();
})();
