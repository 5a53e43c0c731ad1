/* The project's Chart.js set-up, in one place (templates/includes/charts.html loads it).
 *
 * A page draws a chart with no script of its own:
 *   <canvas data-chart="bar" data-chart-data="revenue-data" aria-label="…" role="img"></canvas>
 *   {{ chart|json_script:"revenue-data" }}
 * Kinds: "bar" ({labels, values, label, money}), "pareto" ({x, y, series, even, x_title, y_title}),
 * "bars" and "lines" ({labels, datasets: [{label, values, tone: "muted"|"danger"|...}], stacked, percent, min, max, step})
 * and "doughnut" ({labels, values}).
 * Numbers on axes and tooltips follow the page's language (<html lang>).
 */
(function () {
  "use strict";
  if (!window.Chart) return;
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const PRIMARY = colour("--bs-primary", "#0d6efd");
  const MUTED = colour("--bs-secondary-color", "#6c757d");
  const WARNING = colour("--bs-warning", "#ffc107");
  const lang = document.documentElement.lang || "en";
  const numbers = new Intl.NumberFormat(lang, {maximumFractionDigits: 0});

  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = colour("--bs-body-font-family", Chart.defaults.font.family);
  Chart.defaults.color = MUTED;
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;

  const alpha = (hex, a) => {
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${a})` : hex;
  };

  const DANGER = colour("--bs-danger", "#dc3545");
  const SUCCESS = colour("--bs-success", "#198754");
  const PALETTE = [PRIMARY, WARNING, SUCCESS, DANGER, "#6f42c1", "#20c997", "#adb5bd"];
  const TONES = {muted: "#adb5bd", danger: DANGER, warning: WARNING, success: SUCCESS, primary: PRIMARY};
  const series = (data, line) => { let k = 0; return data.datasets.map((set) => {
    const c = TONES[set.tone] || PALETTE[k++ % PALETTE.length];
    return line
      ? {label: set.label, data: set.values, borderColor: c, backgroundColor: alpha(c, 0.15), tension: 0.2, spanGaps: true, pointRadius: 3}
      : {label: set.label, data: set.values, backgroundColor: alpha(c, 0.7)};
  }); };
  const axes = (data) => ({
    x: {stacked: !!data.stacked, ticks: {autoSkip: true, maxRotation: 60}},
    y: {stacked: !!data.stacked, beginAtZero: data.min === undefined, min: data.min, max: data.max,
        ticks: {stepSize: data.step, callback: (v) => numbers.format(v) + (data.percent ? "%" : "")}},
  });

  const kinds = {
    bars(data) {
      return {type: "bar", data: {labels: data.labels, datasets: series(data, false)},
        options: {scales: axes(data), plugins: {legend: {display: data.datasets.length > 1, position: "bottom"}}}};
    },
    lines(data) {
      return {type: "line", data: {labels: data.labels, datasets: series(data, true)},
        options: {scales: axes(data), plugins: {legend: {position: "bottom"}}}};
    },
    doughnut(data) {
      return {type: "doughnut",
        data: {labels: data.labels, datasets: [{data: data.values, backgroundColor: data.labels.map((_l, i) => alpha(PALETTE[i % PALETTE.length], 0.8))}]},
        options: {plugins: {legend: {position: "bottom"}, tooltip: {callbacks: {label: (c) => c.label + ": " + numbers.format(c.parsed)}}}}};
    },
    bar(data) {
      return {
        type: "bar",
        data: {labels: data.labels, datasets: [{label: data.label, data: data.values, backgroundColor: alpha(PRIMARY, 0.6)}]},
        options: {
          plugins: {legend: {display: false}},
          scales: {y: {beginAtZero: true, ticks: {callback: (v) => numbers.format(v)}}},
        },
      };
    },
    pareto(data) {
      const points = data.x.map((x, i) => ({x: x, y: data.y[i]}));
      return {
        type: "line",
        data: {datasets: [
          {label: data.series, data: points, borderColor: PRIMARY, backgroundColor: alpha(PRIMARY, 0.12), fill: true, pointRadius: 0, tension: 0.15},
          {label: data.even, data: [{x: 0, y: 0}, {x: 100, y: 100}], borderColor: "#adb5bd", borderDash: [5, 5], pointRadius: 0},
          {label: "80%", data: [{x: 0, y: 80}, {x: 100, y: 80}], borderColor: WARNING, borderWidth: 1, pointRadius: 0},
        ]},
        options: {
          animation: false,
          scales: {
            x: {type: "linear", min: 0, max: 100, title: {display: true, text: data.x_title + " (%)"}},
            y: {min: 0, max: 100, title: {display: true, text: data.y_title + " (%)"}},
          },
          plugins: {legend: {position: "bottom"}, tooltip: {callbacks: {label: (c) => c.parsed.x + "% → " + c.parsed.y + "%"}}},
        },
      };
    },
  };

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chartData);
    const make = kinds[canvas.dataset.chart];
    if (source && make) new Chart(canvas, make(JSON.parse(source.textContent)));
  });
})();
