// Drag-and-drop onto the upload form: dropped files go into the form's own file input, so the
// form submits exactly as it does without JavaScript.
(function () {
  "use strict";
  document.querySelectorAll("form[data-dropzone]").forEach(function (form) {
    var input = form.querySelector('input[type="file"]');
    var hint = form.querySelector(".dropzone");
    if (!input || typeof DataTransfer === "undefined") return;
    if (hint) hint.hidden = false;
    var depth = 0;
    form.addEventListener("dragenter", function (e) {
      e.preventDefault();
      depth += 1;
      form.classList.add("dragging");
    });
    form.addEventListener("dragover", function (e) { e.preventDefault(); });
    form.addEventListener("dragleave", function () {
      depth -= 1;
      if (depth <= 0) { depth = 0; form.classList.remove("dragging"); }
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      depth = 0;
      form.classList.remove("dragging");
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      var all = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { all.items.add(f); });
      input.files = all.files;
      if (hint) {
        var n = input.files.length;
        hint.textContent = n + (n === 1 ? " file" : " files") + " ready: " +
          Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      }
    });
  });
})();
