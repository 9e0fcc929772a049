/** The brand mark: three stacked stones. */
export function CairnMark({ className }: { className?: string }) {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className={className}>
      <ellipse cx="12" cy="19" rx="8" ry="3.2" className="fill-accent-600" />
      <ellipse cx="12" cy="12.6" rx="5.6" ry="2.7" className="fill-accent-500" />
      <ellipse cx="12" cy="7" rx="3.4" ry="2.2" className="fill-accent-200" />
    </svg>
  );
}
