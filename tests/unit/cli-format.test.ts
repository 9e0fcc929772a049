import { describe, expect, it } from "vitest";
import { CHECKPOINT_COLUMNS, checkpointRows, formatBytes, renderTable } from "@/lib/cli/table";

const now = new Date("2026-01-20T12:00:00Z");
const checkpoint = (name: string, size: number, fileCount: number, status: string, createdAt: string) => ({
  metadata: { name },
  status: { size, fileCount, status, createdAt },
});

describe("cairn checkpoint list table", () => {
  it("prints sizes and ages as the reference CLI does", () => {
    const rows = checkpointRows(
      [
        checkpoint("mistral-500", 17 * 1024 ** 3, 3, "ready", "2026-01-04T11:00:00Z"),
        checkpoint("tiny", 360_490_000, 1, "uploading", "2026-01-20T11:59:15Z"),
      ],
      now,
    );
    expect(rows).toEqual([
      ["mistral-500", "3", "17 GB", "ready", "16d"],
      ["tiny", "1", "343.79 MB", "uploading", "45s"],
    ]);
  });

  it("pads every column to its widest cell and separates them with pipes", () => {
    const table = renderTable(CHECKPOINT_COLUMNS, [["a-very-long-checkpoint-name", "12", "1 KB", "ready", "2h"]]);
    const [header, rule, row] = table.split("\n");
    expect(header).toBe("NAME                        | FILES COUNT | TOTAL SIZE | STATUS | CREATED AT");
    expect(rule).toBe("----------------------------+-------------+------------+--------+-----------");
    expect(row).toBe("a-very-long-checkpoint-name | 12          | 1 KB       | ready  | 2h");
    expect(header.indexOf("|")).toBe(row.indexOf("|"));
  });

  it("formats bytes in powers of 1024 with at most two decimals", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 ** 4)).toBe("5 TB");
  });
});
