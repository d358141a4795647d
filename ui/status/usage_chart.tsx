/**
 * @module An inline SVG chart of tokens (bars) and estimated cost (line) by day. Colours come
 * from the stylesheet; the same numbers are in a table beside it for screen readers.
 */

import { formatCost } from "../components.tsx";
import type { UsageDay } from "./usage_days.ts";

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value) ?? 10;
  return step * power;
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n));
}

/** Axis labels for costs that may be fractions of a cent. */
function axisCost(usd: number): string {
  if (usd === 0) return "$0";
  return usd < 0.01 ? `$${Number(usd.toPrecision(2))}` : formatCost(usd);
}

const W = 720;
const H = 260;
const PAD = { left: 48, right: 56, top: 16, bottom: 36 };

export function UsageChart(props: { days: UsageDay[] }) {
  const { days } = props;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxTokens = niceMax(Math.max(...days.map((d) => d.totalTokens)));
  const maxCost = niceMax(Math.max(...days.map((d) => d.estimatedCost)));
  const slot = plotW / Math.max(days.length, 1);
  const x = (i: number) => PAD.left + i * slot + slot / 2;
  const yTokens = (v: number) => PAD.top + plotH - (v / maxTokens) * plotH;
  const yCost = (v: number) => PAD.top + plotH - (v / maxCost) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const labelEvery = Math.ceil(days.length / 8);
  const total = days.reduce((sum, d) => sum + d.totalTokens, 0);
  const cost = days.reduce((sum, d) => sum + d.estimatedCost, 0);
  const line = days.map((d, i) =>
    `${i ? "L" : "M"}${x(i).toFixed(1)},${yCost(d.estimatedCost).toFixed(1)}`
  )
    .join(" ");
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="usage-chart-title usage-chart-desc"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="usage-chart-title">Tokens and estimated cost by day</title>
        <desc id="usage-chart-desc">
          {`${days.length} days from ${days[0]?.date} to ${days.at(-1)?.date}: ${total} tokens, ${
            formatCost(cost)
          } in all.`}
        </desc>
        {ticks.map((t) => (
          <g key={t} class="grid">
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={yTokens(t * maxTokens)}
              y2={yTokens(t * maxTokens)}
            />
            <text
              class="axis tokens"
              x={PAD.left - 6}
              y={yTokens(t * maxTokens) + 4}
              text-anchor="end"
            >
              {compact(t * maxTokens)}
            </text>
            <text
              class="axis cost"
              x={W - PAD.right + 6}
              y={yCost(t * maxCost) + 4}
              text-anchor="start"
            >
              {axisCost(t * maxCost)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const top = yTokens(d.totalTokens);
          return (
            <g key={d.date}>
              <rect
                class="bar"
                x={x(i) - slot * 0.35}
                y={top}
                width={slot * 0.7}
                height={PAD.top + plotH - top}
              >
                <title>
                  {`${d.date}: ${d.totalTokens} tokens, ${
                    formatCost(d.estimatedCost)
                  }, ${d.requests} requests`}
                </title>
              </rect>
              {i % labelEvery === 0 && (
                <text class="axis" x={x(i)} y={H - PAD.bottom + 16} text-anchor="middle">
                  {d.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
        <path class="cost-line" d={line} />
        {days.map((d, i) => (
          <circle key={d.date} class="cost-dot" cx={x(i)} cy={yCost(d.estimatedCost)} r={2.5} />
        ))}
      </svg>
      <figcaption>
        <span class="key tokens">Tokens (left axis)</span>{" "}
        <span class="key cost">Estimated cost in USD (right axis)</span>
      </figcaption>
    </figure>
  );
}
