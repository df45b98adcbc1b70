// Request page: the "Add an event" form shows only the fields of the chosen kind. Without this
// script the page does the same through links (?kind=...#add-event, a GET that re-renders the
// form); with it, choosing a kind in the list shows that kind's fields in place and hides the
// others. Hidden fields are also disabled, so they are not sent.
(function () {
  "use strict";
  var form = document.querySelector("form.event-form");
  if (!form) { return; }
  var select = form.querySelector("[data-event-kind]");
  var links = document.querySelector(".event-kinds[data-no-script]");
  if (links) { links.hidden = true; }
  function show(kind) {
    var sets = form.querySelectorAll("fieldset[data-kind]");
    for (var i = 0; i < sets.length; i++) {
      var mine = sets[i].getAttribute("data-kind") === kind;
      sets[i].hidden = !mine;
      sets[i].disabled = !mine;
    }
  }
  select.addEventListener("change", function () { show(select.value); });
  show(select.value);
  // Opened from a link to #add-event (or after a refused submission): open the collapsed form.
  var box = document.getElementById("add-event");
  if (box && window.location.hash === "#add-event") { box.open = true; }
}());
