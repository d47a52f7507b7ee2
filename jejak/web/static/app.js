// Draws every figure on the page from the JSON next to it; on a "computing" page, asks whether
// the view is ready and reloads when it is (web/jobs.py). Nothing else runs in the page.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script.figure-data").forEach(function (source) {
    var target = document.querySelector('.figure[data-figure="' + source.dataset.for + '"]');
    if (!target || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    layout.autosize = true;
    Plotly.newPlot(target, figure.data || [], layout, { responsive: true, displaylogo: false });
  });
  var computing = document.querySelector("[data-job]");
  if (computing) {
    var ask = function () {
      fetch("/jobs/" + encodeURIComponent(computing.dataset.job), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (status) {
          if (status.done) { window.location.reload(); } else { window.setTimeout(ask, 500); }
        })
        .catch(function () { window.setTimeout(ask, 2000); });
    };
    window.setTimeout(ask, 500);
  }
});
