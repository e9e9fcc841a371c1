// quantrac console: the few things that need a script. Everything else works without one.
"use strict";
document.querySelectorAll(".print-button").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
