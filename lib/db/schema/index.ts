export * from "./accounts";
export * from "./checkpoints";
