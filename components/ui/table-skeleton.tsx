import { Skeleton } from "./skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./table";

/** One column's placeholder: the bar's classes, or two for a cell with a second line. */
export type SkeletonCell = string | [string, string];

/** A table's loading look: its real headers over rows of bars shaped like its cells. */
export function TableSkeleton({ label, headers, cells, rows }: { label: string; headers: string[]; cells: SkeletonCell[]; rows: number }) {
  return (
    <Table aria-busy="true" aria-label={label}>
      <TableHead>
        <tr>
          {headers.map((header, i) => (
            <TableHeaderCell key={i}>{header}</TableHeaderCell>
          ))}
        </tr>
      </TableHead>
      <TableBody>
        {Array.from({ length: rows }, (_, row) => (
          <TableRow key={row}>
            {cells.map((cell, i) => (
              <TableCell key={i}>
                {typeof cell === "string" ? (
                  <Skeleton className={cell} />
                ) : (
                  <>
                    <Skeleton className={cell[0]} />
                    <Skeleton className={`mt-1.5 ${cell[1]}`} />
                  </>
                )}
              </TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
