"use client";

import Link from "next/link";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { StorageResponse } from "@/lib/api/schemas/storage";
import { formatBytes } from "@/lib/format";

// The accent scale of app/globals.css (indigo), as SVG fills take colors rather than CSS variables.
const EXCLUSIVE = "#4f39f6";
const SHARED = "#c6d2ff";
const LOGICAL = "#a1a1aa";

// Names in a series share their start (`run-step-100`, `run-step-200`): keep both ends.
const shorten = (name: string, max = 18) => (name.length > max ? `${name.slice(0, 7)}…${name.slice(name.length - (max - 8))}` : name);
const legendText = (value: string) => <span style={{ color: "#52525b" }}>{value}</span>;
const bytesTick = (value: number) => (value === 0 ? "0" : formatBytes(value));
const tooltipBytes = (value: unknown) => formatBytes(typeof value === "number" ? value : Number(value));

function chartHeight(rows: number) {
  return Math.max(160, rows * 34 + 60);
}

/** The largest consumers as stacked bars: exclusive bytes (freed by deleting) and shared ones. */
export function StorageConsumersChart({ checkpoints }: { checkpoints: StorageResponse["checkpoints"] }) {
  const summary = checkpoints.map((c) => `${c.name}: ${formatBytes(c.exclusiveBytes)} exclusive, ${formatBytes(c.sharedBytes)} shared`).join("; ");
  return (
    <div role="img" aria-label={`Largest consumers. ${summary}`} style={{ height: chartHeight(checkpoints.length) }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={checkpoints} layout="vertical" margin={{ top: 0, right: 12, bottom: 0, left: 0 }} barCategoryGap={8}>
          <CartesianGrid horizontal={false} stroke="#e4e4e7" />
          <XAxis type="number" tickFormatter={bytesTick} tick={{ fontSize: 11, fill: "#71717a" }} stroke="#d4d4d8" />
          <YAxis type="category" dataKey="name" width={132} tickFormatter={(name: string) => shorten(name)} tick={{ fontSize: 11, fill: "#3f3f46" }} stroke="#d4d4d8" />
          <Tooltip formatter={tooltipBytes} cursor={{ fill: "#f4f4f5" }} contentStyle={{ fontSize: 12, borderRadius: 8 }} />
          <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12 }} formatter={legendText} />
          <Bar dataKey="exclusiveBytes" name="Exclusive" stackId="bytes" fill={EXCLUSIVE} isAnimationActive={false} />
          <Bar dataKey="sharedBytes" name="Shared" stackId="bytes" fill={SHARED} radius={[0, 3, 3, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

const seriesLabel = (s: StorageResponse["series"][number]) => s.jobName ?? (s.jobId ? "(job deleted)" : "Not from a job");

/** Usage per job series: the logical size of its checkpoints beside what deleting all of them frees. */
export function StorageSeriesChart({ series }: { series: StorageResponse["series"] }) {
  const data = series.map((s) => ({ ...s, label: seriesLabel(s) }));
  return (
    <div className="space-y-3">
      <div role="img" aria-label={`Usage per job series. ${data.map((s) => `${s.label}: ${formatBytes(s.logicalBytes)} logical, ${formatBytes(s.exclusiveBytes)} exclusive`).join("; ")}`} style={{ height: chartHeight(data.length) }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 0, right: 12, bottom: 0, left: 0 }} barGap={2} barCategoryGap={8}>
            <CartesianGrid horizontal={false} stroke="#e4e4e7" />
            <XAxis type="number" tickFormatter={bytesTick} tick={{ fontSize: 11, fill: "#71717a" }} stroke="#d4d4d8" />
            <YAxis type="category" dataKey="label" width={132} tickFormatter={(name: string) => shorten(name)} tick={{ fontSize: 11, fill: "#3f3f46" }} stroke="#d4d4d8" />
            <Tooltip formatter={tooltipBytes} cursor={{ fill: "#f4f4f5" }} contentStyle={{ fontSize: 12, borderRadius: 8 }} />
            <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12 }} formatter={legendText} />
            <Bar dataKey="logicalBytes" name="Logical" fill={LOGICAL} radius={[0, 3, 3, 0]} isAnimationActive={false} />
            <Bar dataKey="exclusiveBytes" name="Frees if deleted" fill={EXCLUSIVE} radius={[0, 3, 3, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <ul className="divide-y divide-zinc-100 text-xs">
        {data.map((s) => (
          <li key={s.jobId ?? "none"} className="flex items-center justify-between gap-3 py-1.5">
            <span className="min-w-0 truncate font-mono text-zinc-700">
              {s.jobId && s.jobName ? (
                <Link href={`/jobs/${encodeURIComponent(s.jobName)}`} className="hover:underline">
                  {s.label}
                </Link>
              ) : (
                s.label
              )}
            </span>
            <span className="shrink-0 text-zinc-500 tabular-nums">
              {s.checkpoints.toLocaleString()} {s.checkpoints === 1 ? "checkpoint" : "checkpoints"} · {formatBytes(s.logicalBytes)}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
