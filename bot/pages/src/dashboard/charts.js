// The service dashboard's charts (/dashboard, server-rendered by the case store): Apache ECharts
// from npm, SVG renderer, tree-shaken. The numbers come from the page's own
// <script type="application/json" id="dashboard-data"> (no inline script: CSP script-src 'self');
// every chart also stands as a table on the page, so nothing depends on this file.
import * as echarts from 'echarts/core';
import { BarChart, PieChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
const COLORS = ['#1f5fbf', '#2e8b57', '#d97706', '#b00020', '#6b46c1', '#0f766e', '#8a5a00', '#475569'];

function bars(rows, { horizontal = true, unit = '' } = {}) {
  const names = rows.map((r) => r[0]);
  const values = rows.map((r) => r[1]);
  const cat = { type: 'category', data: names, axisLabel: { width: 110, overflow: 'truncate' } };
  const val = { type: 'value', minInterval: 1, axisLabel: { formatter: `{value}${unit}` } };
  return {
    color: COLORS,
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 24, top: 12, bottom: 8, containLabel: true },
    xAxis: horizontal ? val : cat,
    yAxis: horizontal ? { ...cat, inverse: true } : val,
    series: [{ type: 'bar', data: values, label: { show: true, position: horizontal ? 'right' : 'top' } }],
  };
}

function pie(rows) {
  return {
    color: COLORS,
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'item', formatter: '{b}：{c}（{d}%）' },
    legend: { bottom: 0, type: 'scroll' },
    series: [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'], data: rows.map((r) => ({ name: r[0], value: r[1] })),
      label: { formatter: '{b}\n{c}' } }],
  };
}

const KINDS = {
  states: (rows) => bars(rows),
  departments: (rows) => bars(rows),
  kinds: (rows) => bars(rows),
  return_reasons: (rows) => bars(rows),
  decision_days: (rows) => bars(rows, { horizontal: false }),
  handoff_seconds: (rows) => bars(rows, { horizontal: false }),
  ratings_levels: (rows) => pie(rows),
  ratings_by_department: (rows) => bars(rows, { unit: '%' }),
  ratings_by_item: (rows) => bars(rows, { unit: '%' }),
};

function draw() {
  const node = document.getElementById('dashboard-data');
  if (!node) return;
  let data;
  try { data = JSON.parse(node.textContent || '{}'); } catch { return; }
  const charts = [];
  document.querySelectorAll('[data-chart]').forEach((el) => {
    const key = el.getAttribute('data-chart');
    const rows = (data[key] || []).filter((r) => Array.isArray(r) && r.length >= 2);
    if (!KINDS[key] || !rows.length || !rows.some((r) => r[1])) {
      el.classList.add('is-empty');
      return;
    }
    const chart = echarts.init(el, null, { renderer: 'svg', locale: 'ZH' });
    chart.setOption(KINDS[key](rows));
    el.classList.add('is-drawn');
    charts.push(chart);
  });
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
else draw();
