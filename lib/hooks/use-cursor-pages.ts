"use client";

import { useState } from "react";

/** Where a cursor-paged list is: the cursor of the page shown, its 1-based number, and the moves. */
export type CursorPages = { cursor: string | undefined; page: number; previous: () => void; next: (cursor: string) => void };

/**
 * The stack of cursors of the pages before the current one. A new `viewKey` (other filters, sort
 * or search) starts over at page 1.
 */
export function useCursorPages(viewKey: string): CursorPages {
  const [pages, setPages] = useState<{ viewKey: string; cursors: (string | undefined)[] }>({ viewKey, cursors: [undefined] });
  const cursors = pages.viewKey === viewKey ? pages.cursors : [undefined];
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    previous: () => setPages({ viewKey, cursors: cursors.slice(0, -1) }),
    next: (cursor) => setPages({ viewKey, cursors: [...cursors, cursor] }),
  };
}
