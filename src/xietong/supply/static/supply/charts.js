// Supply charts: demand vs supply (receipts + planned) vs projected inventory per month, one ECharts
// chart per [data-supply-chart] element (its data in the json_script it names). The picker submits
// its form on change.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(el, labels) {
    var data = readJson(el.getAttribute("data-supply-chart"));
    if (!data || !window.echarts) return;
    el.style.height = "360px";
    el.style.width = "100%";
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 56, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: [
        { name: labels.demand, type: "bar", data: data.demand, itemStyle: { color: "#91caff" } },
        { name: labels.supply, type: "bar", data: data.supply, itemStyle: { color: "#95de64" } },
        { name: labels.projected, type: "line", data: data.projected, smooth: false, itemStyle: { color: "#1677ff" } },
        { name: labels.safety, type: "line", data: data.safety, lineStyle: { type: "dashed" }, symbol: "none", itemStyle: { color: "#ff4d4f" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    var labels = readJson("supply-chart-labels") || {};
    document.querySelectorAll("[data-supply-chart]").forEach(function (el) { draw(el, labels); });
    var form = document.getElementById("charts-form");
    if (form) {
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () {
          if (select.name === "plan") {
            form.querySelectorAll("select[name=item], select[name=line]").forEach(function (s) { s.value = ""; });
          }
          form.submit();
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
