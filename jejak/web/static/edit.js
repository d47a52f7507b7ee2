// The Journey map, Personas and Data pages: a click on a map cell picks its stage and lane in the note form;
// a form with data-confirm asks before it is sent (deleting a note or a persona, dismissing a quarantined row);
// a form with data-busy says it is working once sent (finding groups takes seconds).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var stage = document.getElementById("note-stage");
  var lane = document.getElementById("note-lane");
  var text = document.getElementById("note-text");
  document.querySelectorAll(".jmap .cell[data-stage][data-lane]").forEach(function (cell) {
    var known = lane && Array.prototype.some.call(lane.options, function (option) {
      return option.value === cell.dataset.lane;
    });
    if (!stage || !known) { return; }
    cell.classList.add("editable");
    cell.addEventListener("click", function () {
      stage.value = cell.dataset.stage;
      lane.value = cell.dataset.lane;
      text.focus();
      text.scrollIntoView({ block: "center" });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = form.dataset.busy; }
    });
  });
});
