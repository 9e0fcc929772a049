export * from "./accounts";
export * from "./checkpoints";
export * from "./connections";
export * from "./jobs";
