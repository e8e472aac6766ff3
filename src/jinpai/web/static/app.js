// Charts from data-* attributes (the page carries its data as JSON; no build step).
(function () {
  "use strict";
  const charts = [];

  // a rate as jinpai.display shows it (2 decimals; a missing value is a dash)
  function pct(v) { return v == null ? "—" : (v * 100).toFixed(2) + "%"; }

  function line(el) {
    const rate = el.dataset.unit === "rate";
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: el.dataset.title, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", valueFormatter: rate ? pct : undefined },
      grid: { left: 56, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: JSON.parse(el.dataset.x || "[]") },
      yAxis: { type: "value", axisLabel: rate ? { formatter: pct } : {} },
      series: [{ type: "line", smooth: false, connectNulls: false, data: JSON.parse(el.dataset.y || "[]") }],
    });
    return chart;
  }

  function heatmap(el) {
    const cells = JSON.parse(el.dataset.cells || "[]");
    const days = (el.dataset.days || "").split(",");
    const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
    const max = cells.reduce((m, c) => Math.max(m, c[2]), 1);
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { position: "top" },
      grid: { left: 48, right: 96, top: 8, bottom: 28 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: days, inverse: true, splitArea: { show: true } },  // Monday on top
      visualMap: { min: 0, max: max, calculable: true, orient: "vertical", right: 8, top: "middle" },
      series: [{ type: "heatmap", data: cells, label: { show: false } }],
    });
    return chart;
  }

  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach((el) => {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      charts.push(el.dataset.chart === "heatmap" ? heatmap(el) : line(el));
    });
  }

  document.addEventListener("DOMContentLoaded", () => draw(document));
  document.addEventListener("htmx:afterSwap", (e) => draw(e.target));
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  // the figure being explained is marked, so the reader keeps their place in a long table
  document.addEventListener("htmx:beforeRequest", (e) => {
    const a = e.target.closest && e.target.closest("a.figure");
    if (!a) return;
    document.querySelectorAll("a.figure.active").forEach((x) => x.classList.remove("active"));
    a.classList.add("active");
  });
})();
