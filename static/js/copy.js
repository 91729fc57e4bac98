// Copy buttons beside the provider's account numbers. Without JavaScript the buttons stay hidden
// and the number is plain text to select; the CSP allows no inline script, hence a file.
(function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (button.dataset.copyReady || !navigator.clipboard) return;
    button.dataset.copyReady = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      var status = button.closest("section") && button.closest("section").querySelector(".copy-status");
      if (!source) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) status.textContent = status.dataset.copied;
      });
    });
  });
})();
