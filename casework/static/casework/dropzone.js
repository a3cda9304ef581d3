/*
 * Drag and drop onto a file input (the case page's document upload, a new version).
 * The input works on its own without this script; here a file dropped on its label
 * (".dropzone") is put into the input, and the chosen file's name is shown.
 * Served as a static file: the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  function show(zone, input) {
    var chosen = zone.querySelector(".dropzone-chosen");
    if (chosen) {
      chosen.textContent = input.files && input.files.length ? input.files[0].name : "";
    }
    zone.classList.toggle("dropzone-has-file", !!(input.files && input.files.length));
  }

  function wire(input) {
    var zone = input.closest(".dropzone") || input.parentElement;
    if (!zone) {
      return;
    }
    zone.classList.add("dropzone");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("dropzone-over");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dropzone-over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) {
        input.files = files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    input.addEventListener("change", function () {
      show(zone, input);
    });
  }

  function start() {
    document.querySelectorAll("input[type=file].dropzone-input").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
