// The total of the ticked invoices, kept up to date as boxes are ticked: the transfer report's
// "Total to pay", the invoice list's pay button. Without JavaScript the server's text stands (the
// total as last submitted, the button's plain label); the CSP allows no inline script, hence a file.
//
// The element marked data-pick-total carries data-money-sample, 1234.56 as the server writes money
// in the page's language ("$1234,56", "$1,234.56"), and optionally data-label, its text with
// "{total}" where the amount goes; each box of its form carries data-amount ("25.00").
(function () {
  function moneyFormat(sample) {
    var one = sample.indexOf("1");
    var prefix = sample.slice(0, one);
    var thousands = sample.slice(one + 1, sample.indexOf("2"));
    var decimal = sample.charAt(sample.length - 3);
    return function (cents) {
      var whole = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
      return prefix + whole + decimal + String(cents % 100).padStart(2, "0");
    };
  }

  // Whole cents from "25.00": adding dollars as floats would drift.
  function cents(amount) {
    var parts = amount.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt((parts[1] || "0").padEnd(2, "0"), 10);
  }

  document.querySelectorAll("[data-pick-total]").forEach(function (output) {
    var form = output.closest("form");
    if (!form || output.dataset.ready || !output.dataset.moneySample) return;
    output.dataset.ready = "1";
    var money = moneyFormat(output.dataset.moneySample);
    var boxes = form.querySelectorAll("input[type=checkbox][data-amount]");
    var plain = output.textContent;
    function update() {
      var total = 0;
      var ticked = 0;
      boxes.forEach(function (box) {
        if (!box.checked) return;
        total += cents(box.dataset.amount);
        ticked += 1;
      });
      if (!output.dataset.label) output.textContent = money(total);
      else output.textContent = ticked ? output.dataset.label.replace("{total}", money(total)) : plain;
    }
    form.addEventListener("change", update);
    // A browser going back may restore other ticks than the server rendered.
    update();
  });
})();
