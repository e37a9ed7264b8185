// Draws the dashboard's charts (ECharts, vendored): 12-month trends, the ranking and the map of
// villages on a plain longitude/latitude projection (no online tiles). Data comes from the page
// (json_script); a click on a ranked or mapped area opens its dashboard.
(function () {
  var source = document.getElementById("mj-chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var base = document.getElementById("mj-dash").dataset.areaUrl;
  var month = document.getElementById("mj-dash").dataset.month;
  function open(id) { window.location = base.replace("/0/", "/" + id + "/") + "?month=" + month; }
  var charts = [];
  var trend = document.getElementById("mj-trend");
  if (trend && data.series.length) {
    var chart = echarts.init(trend, null, { renderer: "canvas" });
    var selected = {};
    data.series.forEach(function (s) { selected[s.name] = s.unit === "%"; });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0, selected: selected },
      grid: { left: 40, right: 12, top: 56, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true, smooth: true };
      }),
    });
    charts.push(chart);
  }
  var ranking = document.getElementById("mj-ranking");
  if (ranking && data.ranking.length) {
    var rows = data.ranking.slice().reverse();
    ranking.style.height = Math.max(220, rows.length * 28 + 40) + "px";
    var bars = echarts.init(ranking);
    bars.setOption({
      grid: { left: 90, right: 40, top: 10, bottom: 20 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r.score; }),
        label: { show: true, position: "right" },
        itemStyle: { color: function (p) { return p.value >= 80 ? "#2e7d32" : p.value >= 60 ? "#ef6c00" : "#c62828"; } } }],
    });
    charts.push(bars);
  }
  var map = document.getElementById("mj-map");
  if (map && data.points.length) {
    var scatter = echarts.init(map);
    scatter.setOption({
      tooltip: { formatter: function (p) { return p.name + (p.value[2] == null ? "" : "：" + p.value[2]); } },
      grid: { left: 8, right: 8, top: 8, bottom: 8 },
      xAxis: { type: "value", scale: true, show: false },
      yAxis: { type: "value", scale: true, show: false },
      series: [{ type: "scatter", symbolSize: 18, data: data.points,
        label: { show: true, position: "right", formatter: "{b}", fontSize: 11 },
        itemStyle: { color: function (p) { var v = p.value[2]; return v == null ? "#9e9e9e" : v >= 80 ? "#2e7d32" : v >= 60 ? "#ef6c00" : "#c62828"; } } }],
    });
    scatter.on("click", function (p) { open(p.data.id); });
    charts.push(scatter);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
