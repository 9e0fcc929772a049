"use client";

import { useMembers } from "@/lib/hooks/use-members";
import { roleLabels } from "./add-member-form";
import { RelativeTime } from "./relative-time";
import { Badge } from "./ui/badge";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

export function MemberList({ currentUserId }: { currentUserId?: string }) {
  const members = useMembers();
  if (members.isPending) {
    return (
      <div className="space-y-2" aria-busy="true" aria-label="Loading members">
        {Array.from({ length: 3 }, (_, i) => (
          <Skeleton key={i} className="h-11 w-full" />
        ))}
      </div>
    );
  }
  if (members.isError) return <ErrorState title="Could not load members" error={members.error} onRetry={() => void members.refetch()} />;
  if (members.data.items.length === 0) return <EmptyState title="No members" description="Add someone by email above." />;
  return (
    <Table aria-label="Members">
      <TableHead>
        <tr>
          <TableHeaderCell>Name</TableHeaderCell>
          <TableHeaderCell>Email</TableHeaderCell>
          <TableHeaderCell>Role</TableHeaderCell>
          <TableHeaderCell>Joined</TableHeaderCell>
        </tr>
      </TableHead>
      <TableBody>
        {members.data.items.map((member) => (
          <TableRow key={member.userId}>
            <TableCell className="font-medium whitespace-nowrap text-zinc-900">
              {member.name ?? <span className="text-zinc-400">—</span>}
              {member.userId === currentUserId && <span className="ml-2 text-xs font-normal text-zinc-500">(you)</span>}
            </TableCell>
            <TableCell>{member.email}</TableCell>
            <TableCell>
              <Badge tone={member.role === "owner" || member.role === "admin" ? "accent" : "neutral"}>{roleLabels[member.role]}</Badge>
            </TableCell>
            <TableCell className="whitespace-nowrap text-zinc-500">
              <RelativeTime at={member.joinedAt} suffix=" ago" />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
