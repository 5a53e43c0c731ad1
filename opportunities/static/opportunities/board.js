// The pipeline board: drag a card to another column and the move is posted by htmx; the server
// answers the whole board again (totals included). The stage select on each card does the same
// without a mouse. Won and lost answer with a redirect to the form that asks for the reason.
(function () {
  "use strict";

  function setUp(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-stage-column]").forEach(function (column) {
      if (column.dataset.sortable) return;
      column.dataset.sortable = "1";
      window.Sortable.create(column, {
        group: "pipeline",
        draggable: "[data-card]",
        filter: "select, a, input, button",
        preventOnFilter: false,
        animation: 120,
        forceFallback: true, // mouse and touch events rather than HTML5 drag and drop: works the same on phones
        onEnd: function (event) {
          if (event.from === event.to) return;
          var card = event.item;
          var url = card.dataset.moveUrl + window.location.search;
          window.htmx.ajax("POST", url, {
            target: "#board",
            swap: "outerHTML",
            values: { stage: event.to.dataset.stageId, version: card.dataset.version, from: "board" },
          });
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function () { setUp(document); });
})();
