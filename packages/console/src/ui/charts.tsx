/**
 * Hand-written SVG charts: stacked bars over time buckets. Each chart has a visible title and legend,
 * a `<title>` on every bar for pointer users, and the same numbers as a visually hidden table for
 * screen readers (the SVG itself is hidden from them). Colours come from `.series-N` classes.
 */
import { type ReactNode, useId } from 'react';
import { useI18n } from '../i18n/index.ts';

export interface Series {
  key: string;
  label: string;
  /** Aligned with the chart's buckets. */
  values: number[];
}

interface StackedBarChartProps {
  title: string;
  /** Bucket starts (ms), ascending. */
  buckets: number[];
  series: Series[];
  formatBucket: (ms: number) => string;
  /** Shown instead of an empty chart when every value is zero. */
  emptyText: string;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 10, right: 8, bottom: 26, left: 40 };
const SERIES_COLOURS = 8;

/** Round axis maximum and ticks: 0, 5, 10 … for small counts, 0, 250, 500 … for large ones. */
export function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const whole = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let tick = 0; tick < max + whole; tick += whole) ticks.push(tick);
  return ticks;
}

export function StackedBarChart({ title, buckets, series, formatBucket, emptyText }: StackedBarChartProps): ReactNode {
  const { t, formatNumber } = useI18n();
  const titleId = useId();
  const totals = buckets.map((_, index) => series.reduce((sum, s) => sum + (s.values[index] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const ticks = niceTicks(max);
  const top = ticks.at(-1) ?? 1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, Math.min(28, slot * 0.7));
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  // At most ~8 labels under the axis, evenly spaced and counted back from the last (today).
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
  return (
    <figure className="chart card" aria-labelledby={titleId}>
      <figcaption id={titleId} className="chart-title">
        <h2>{title}</h2>
      </figcaption>
      {max === 0 ? (
        <p className="muted">{emptyText}</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true" focusable="false">
            <g className="chart-grid">
              {ticks.map((tick) => (
                <line key={tick} x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
              ))}
            </g>
            <g className="chart-axis">
              {ticks.map((tick) => (
                <text key={tick} x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
                  {formatNumber(tick)}
                </text>
              ))}
              {buckets.map((bucket, index) =>
                (buckets.length - 1 - index) % labelEvery === 0 ? (
                  <text key={bucket} x={PAD.left + slot * index + slot / 2} y={HEIGHT - 8} textAnchor="middle">
                    {formatBucket(bucket)}
                  </text>
                ) : null,
              )}
            </g>
            {buckets.map((bucket, index) => {
              let base = 0;
              const x = PAD.left + slot * index + (slot - barWidth) / 2;
              return (
                <g key={bucket}>
                  {series.map((s, seriesIndex) => {
                    const value = s.values[index] ?? 0;
                    if (value === 0) return null;
                    const rect = (
                      <rect
                        key={s.key}
                        className={`series-${seriesIndex % SERIES_COLOURS}`}
                        x={x}
                        width={barWidth}
                        y={y(base + value)}
                        height={Math.max(1, y(base) - y(base + value))}
                      >
                        <title>{`${formatBucket(bucket)} · ${s.label}: ${formatNumber(value)}`}</title>
                      </rect>
                    );
                    base += value;
                    return rect;
                  })}
                </g>
              );
            })}
          </svg>
          <ul className="legend">
            {series.map((s, seriesIndex) => (
              <li key={s.key}>
                <span className={`swatch series-${seriesIndex % SERIES_COLOURS}`} aria-hidden="true" />
                {s.label}
                <span className="muted">({formatNumber(s.values.reduce((sum, v) => sum + v, 0))})</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {/* The box is hidden, not the table: a table is never narrower than its content, so a hidden
          table of 90 days stuck out past the window and the whole page scrolled sideways. */}
      <div className="visually-hidden">
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">{t('chart.period')}</th>
              {series.map((s) => (
                <th key={s.key} scope="col">
                  {s.label}
                </th>
              ))}
              {series.length > 1 ? <th scope="col">{t('chart.total')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {buckets.map((bucket, index) => (
              <tr key={bucket}>
                <th scope="row">{formatBucket(bucket)}</th>
                {series.map((s) => (
                  <td key={s.key}>{s.values[index] ?? 0}</td>
                ))}
                {series.length > 1 ? <td>{totals[index]}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
