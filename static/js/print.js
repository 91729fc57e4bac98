// Print buttons on the invoice page: the CSP allows no inline handlers, and without JavaScript
// a print button could do nothing, so it stays hidden until this script wires it up.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
