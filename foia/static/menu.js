// The phone menu works without this file (a checkbox and its label). With it, the label becomes a
// real button that says whether the menu is open (aria-expanded); Escape, or a click outside the
// menu, closes it and focus goes back to the button.
(function () {
  "use strict";
  function init() {
    var header = document.querySelector("header.site");
    var toggle = header && header.querySelector(".menu-toggle");
    var label = header && header.querySelector(".menu-button");
    var panel = header && header.querySelector(".menu-panel");
    if (!toggle || !label || !panel) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "menu-js-button";
    button.setAttribute("aria-controls", panel.id);
    button.setAttribute("aria-expanded", "false");
    while (label.firstChild) button.appendChild(label.firstChild);
    label.parentNode.insertBefore(button, label);
    label.parentNode.removeChild(label);
    toggle.parentNode.removeChild(toggle);
    header.classList.add("menu-js");

    function setOpen(open) {
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (header.classList.contains("menu-open") && !header.contains(event.target)) setOpen(false);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
