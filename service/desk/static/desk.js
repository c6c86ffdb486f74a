// The review desk's only script: follow a match run's progress, then show its result.
// Pages work without it (reload to see progress); no inline script is needed anywhere.
"use strict";

(function () {
  function follow(box) {
    var url = box.getAttribute("data-run-state-url");
    var status = box.querySelector("[data-run-status]");
    var tries = 0;
    function poll() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (run) {
          if (status) {
            status.textContent = run.state;
          }
          if (run.state === "done" || run.state === "failed") {
            window.location.reload();
          } else if (tries < 600) {
            window.setTimeout(poll, tries < 20 ? 500 : 2000);
          }
        })
        .catch(function (error) {
          if (status) {
            status.textContent = "progress unknown (" + error.message + "); reload the page";
          }
        });
    }
    window.setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-run-state-url]");
    for (var i = 0; i < boxes.length; i += 1) {
      follow(boxes[i]);
    }
  });
})();
