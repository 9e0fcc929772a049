import { Button } from "./ui/button";

export function Pagination({
  page,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  busy,
}: {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  busy?: boolean;
}) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav aria-label="Pagination" className="flex items-center gap-2">
      <span className="text-xs text-zinc-500 tabular-nums">Page {page}</span>
      <Button variant="secondary" size="sm" onClick={onPrevious} disabled={!hasPrevious || busy}>
        Previous
      </Button>
      <Button variant="secondary" size="sm" onClick={onNext} disabled={!hasNext || busy}>
        Next
      </Button>
    </nav>
  );
}
