export * from "./accounts";
export * from "./checkpoints";
export * from "./connections";
export * from "./exports";
export * from "./jobs";
export * from "./rate-limits";
export * from "./retention";
export * from "./webhooks";
