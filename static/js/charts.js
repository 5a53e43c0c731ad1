/* The charts of the account page and the tier overview (Chart.js, vendored). Each canvas names
   its data (a json_script element) and its translated labels in data attributes. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  function json(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  const revenue = document.getElementById("revenueChart");
  if (revenue) {
    new Chart(revenue, {
      type: "bar",
      data: {
        labels: json("chart-labels"),
        datasets: [{label: revenue.dataset.label, data: json("chart-values"), backgroundColor: "rgba(13,110,253,.6)"}]
      },
      options: {maintainAspectRatio: false, plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true}}}
    });
  }

  const pareto = document.getElementById("pareto-chart");
  if (pareto) {
    const data = json("pareto-data");
    const points = data.x.map(function (x, i) { return {x: x, y: data.y[i]}; });
    const labels = pareto.dataset;
    new Chart(pareto, {
      type: "line",
      data: {datasets: [
        {label: labels.cumulative, data: points, borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.12)",
         fill: true, pointRadius: 0, tension: 0.15},
        {label: labels.even, data: [{x: 0, y: 0}, {x: 100, y: 100}], borderColor: "#adb5bd", borderDash: [5, 5],
         pointRadius: 0},
        {label: "80%", data: [{x: 0, y: 80}, {x: 100, y: 80}], borderColor: "#ffc107", borderWidth: 1, pointRadius: 0}
      ]},
      options: {
        maintainAspectRatio: false, parsing: true, animation: false,
        scales: {
          x: {type: "linear", min: 0, max: 100, title: {display: true, text: labels.xTitle + " (%)"}},
          y: {min: 0, max: 100, title: {display: true, text: labels.yTitle + " (%)"}}
        },
        plugins: {legend: {position: "bottom"},
                  tooltip: {callbacks: {label: function (c) { return c.parsed.x + "% → " + c.parsed.y + "%"; }}}}
      }
    });
  }
})();
