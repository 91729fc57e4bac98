// Registers the service worker (offline page, cached static files). A file, not an inline
// script: the Content-Security-Policy allows no inline scripts.
(function () {
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script || !script.dataset.sw) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/" }).catch(function () {
      // No offline page then; the portal itself works the same.
    });
  });
})();

// A refused form: its error summary (id form-errors) into view and focus, so a phone shows what
// went wrong instead of the unchanged top of the page. Without JavaScript the summary is still
// the first thing in the form.
(function () {
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
