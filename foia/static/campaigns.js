// Campaign page: poll the progress endpoint while the campaign runs, and update the counts.
// The page works without this script (its "Refresh" link reloads it).
(function () {
  "use strict";
  var section = document.getElementById("campaign-progress");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  function field(name) { return section.querySelector('[data-field="' + name + '"]'); }
  function show(state) {
    field("status").textContent = state.status;
    field("done").textContent = state.done;
    field("total").textContent = state.total;
    var bar = section.querySelector("progress");
    bar.max = state.total; bar.value = state.done; bar.textContent = state.done + " of " + state.total;
    field("error-count").textContent = state.errors.length;
    var list = field("errors");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    state.errors.forEach(function (e) {
      var item = document.createElement("li");
      item.textContent = e.agency + ": " + e.error;
      list.appendChild(item);
    });
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        show(state);
        if (state.status === "running" || state.status === "pending") { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (field("status").textContent === "running" || field("status").textContent === "pending") { poll(); }
})();
