// Draws every figure on the page from the JSON next to it; nothing else runs in the page.
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
});
