// "Show password" on the sign-in and password forms: shows the checkbox (hidden without
// JavaScript, when the fields simply stay password fields) and switches the form's password
// fields between hidden and plain text.
document.querySelectorAll("[data-show-password]").forEach(function (box) {
  var form = box.closest("form");
  var toggle = box.querySelector("input[type=checkbox]");
  if (!form || !toggle || box.dataset.ready) return;
  var fields = Array.prototype.slice.call(form.querySelectorAll("input[type=password]"));
  box.dataset.ready = "1";
  box.hidden = false;
  toggle.checked = false;
  function show(visible) {
    fields.forEach(function (field) {
      field.type = visible ? "text" : "password";
    });
  }
  toggle.addEventListener("change", function () {
    show(toggle.checked);
  });
  // Sent as password fields, so the browser offers to save them as passwords.
  form.addEventListener("submit", function () {
    show(false);
  });
});
