// Bar charts as SVG, element by element (no markup parsed, no library):
// horizontal bars, because metric names are long and Korean labels need
// room; one colour per series, a legend, and the numbers written beside
// the bars so the chart reads without the colours too.

const SERIES_COLOURS = ["#1d4ed8", "#c2410c", "#0f766e", "#7c3aed"];

/// About how wide `text` is at 12 px (the SVG is not on the page yet, so
/// it cannot be measured): Hangul and other wide scripts take twice the room.
function textWidth(text) {
  let width = 0;
  for (const ch of text) width += ch.codePointAt(0) >= 0x2e80 ? 12 : 7.4;
  return width;
}

/// A grouped horizontal bar chart of values in 0..1.
///   title:   the chart's <title>
///   summary: its aria-label (the numbers, in words)
///   series:  names of the bars in each group (legend order)
///   groups:  [{ label, bars: [{ value, low, high }] }] (bars by series)
function barChart({ title, summary, series, groups }) {
  const width = 420;
  const labelWidth = Math.min(170, Math.max(48, ...groups.map((g) => textWidth(g.label)))) + 4;
  const valueWidth = 44;
  const barHeight = 14;
  const barGap = 3;
  const groupGap = 12;
  const top = 30;
  const axisHeight = 22;
  const plotLeft = labelWidth + 8;
  const plotWidth = width - plotLeft - valueWidth;
  const groupHeight = series.length * (barHeight + barGap) - barGap;
  const height = top + groups.length * (groupHeight + groupGap) + axisHeight;
  const x = (v) => plotLeft + Math.max(0, Math.min(1, v)) * plotWidth;

  const svg = s("svg", {
    role: "img",
    "aria-label": summary,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: "chart-svg",
    "font-size": 12,
  });
  svg.append(s("title", null, title));

  // Legend.
  let lx = plotLeft;
  series.forEach((name, i) => {
    svg.append(s("rect", { x: lx, y: 8, width: 12, height: 12, fill: SERIES_COLOURS[i % SERIES_COLOURS.length] }));
    svg.append(s("text", { x: lx + 16, y: 18, fill: "#1f2937" }, name));
    lx += 30 + textWidth(name);
  });

  // Grid and axis.
  const bottom = height - axisHeight;
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s("line", { x1: x(tick), x2: x(tick), y1: top - 4, y2: bottom, stroke: tick === 0 ? "#6b7280" : "#e5e7eb" }));
    svg.append(s("text", { x: x(tick), y: bottom + 15, "text-anchor": "middle", fill: "#4b5563" }, String(tick)));
  }

  groups.forEach((group, g) => {
    const y0 = top + g * (groupHeight + groupGap);
    svg.append(s("text", { x: labelWidth, y: y0 + groupHeight / 2 + 4, "text-anchor": "end", fill: "#1f2937" }, group.label));
    group.bars.forEach((bar, i) => {
      const y = y0 + i * (barHeight + barGap);
      const value = typeof bar.value === "number" ? bar.value : null;
      if (value !== null) {
        svg.append(s("rect", { x: x(0), y, width: Math.max(1, x(value) - x(0)), height: barHeight, fill: SERIES_COLOURS[i % SERIES_COLOURS.length] }));
      }
      if (typeof bar.low === "number" && typeof bar.high === "number") {
        // The confidence interval as a whisker across the bar's end.
        const cy = y + barHeight / 2;
        svg.append(s("line", { x1: x(bar.low), x2: x(bar.high), y1: cy, y2: cy, stroke: "#111827", "stroke-width": 1.5 }));
        svg.append(s("line", { x1: x(bar.low), x2: x(bar.low), y1: cy - 4, y2: cy + 4, stroke: "#111827" }));
        svg.append(s("line", { x1: x(bar.high), x2: x(bar.high), y1: cy - 4, y2: cy + 4, stroke: "#111827" }));
      }
      svg.append(s("text", { x: width - valueWidth + 4, y: y + barHeight - 3, fill: "#1f2937" }, value === null ? "—" : value.toFixed(3)));
    });
  });
  return svg;
}

/// A chart with its caption (the run it shows).
function chartFigure(caption, svg) {
  return h("figure", { class: "chart" }, h("figcaption", null, caption), svg);
}
