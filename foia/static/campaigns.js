// Campaign page: while the letter run is queued or running, poll its progress and update the
// counts, the errors, the letters made and the download links, without reloading the page.
// The page works without this script (a "Refresh" link reloads it). Dates come from the server
// already in words (finished_at_text, run_after_text).
(function () {
  "use strict";
  var section = document.getElementById("campaign-progress");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  function field(name) { return section.querySelector('[data-field="' + name + '"]'); }
  function live(status) { return status === "queued" || status === "running"; }
  function show(state) {
    var status = field("status");
    status.textContent = state.status_label || state.status;
    status.setAttribute("data-state", state.status);
    field("done").textContent = state.done;
    field("total").textContent = state.total;
    var bar = section.querySelector("progress");
    bar.max = state.total; bar.value = state.done; bar.textContent = state.done + " of " + state.total;
    field("finished").hidden = !state.finished_at;
    field("finished_at").textContent = state.finished_at_text || (state.finished_at || "").replace("T", " ");
    var job = state.job;
    field("job-message").textContent = job && live(state.status) ?
      (job.message || "Waiting for the background runner to start.") : "";
    var error = field("job-error");
    error.hidden = !(job && job.error);
    error.textContent = job && job.error ? "Attempt " + job.attempts + " of " + job.max_attempts + " failed: " +
      job.error + (state.status === "queued" ? " It will be tried again at " + (job.run_after_text || job.run_after) + "." : "") : "";
    field("error-count").textContent = state.errors.length;
    field("errors-box").hidden = !state.errors.length;
    var list = field("errors");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    state.errors.forEach(function (e) {
      var item = document.createElement("li");
      item.textContent = e.agency + ": " + e.error;
      list.appendChild(item);
    });
    field("pdf").textContent = state.letters.pdf;
    field("docx").textContent = state.letters.docx;
    field("downloads").hidden = !(state.letters.pdf || state.letters.docx);
    var run = field("run"), cancel = field("cancel");
    if (run) {
      run.hidden = live(state.status) || (state.status === "done" && !state.errors.length && state.done >= state.total);
    }
    if (cancel) { cancel.hidden = !live(state.status); }
    var reload = field("reload");
    if (reload) { reload.hidden = live(state.status) || !state.done; }
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        show(state);
        if (live(state.status)) { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (live(field("status").getAttribute("data-state"))) { poll(); }
})();
