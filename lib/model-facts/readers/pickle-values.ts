import "server-only";

/** A storage record of `torch.save`: the entry `data/<key>` holding `numel` items of a dtype. */
export type StorageRef = { kind: "storage"; dtype: string; key: string; numel: number; /** legacy view of a larger storage */ view?: boolean };
/** A tensor view of a storage, as `_rebuild_tensor_v2` would make it — here only described. */
export type TensorRef = { kind: "tensor"; storage: StorageRef; offset: number; shape: number[]; stride: number[] };
/** A name a pickle loaded (only allow-listed ones exist): a value to compare, never to call. */
export type Global = { kind: "global"; module: string; name: string };
export type Dict = { kind: "dict"; entries: [PickleValue, PickleValue][] };
export type Tuple = { kind: "tuple"; items: PickleValue[] };
export type Mark = { kind: "mark" };
/** What the restricted interpreter builds: plain data and descriptions, no live objects. */
export type PickleValue = null | boolean | number | string | Buffer | PickleValue[] | Dict | Tuple | Global | StorageRef | TensorRef;

export const kindOf = (v: unknown): string | null => (v && typeof v === "object" && "kind" in v ? (v as { kind: string }).kind : null);
export const isGlobal = (v: unknown, name: string): boolean => kindOf(v) === "global" && `${(v as Global).module}.${(v as Global).name}` === name;
export const items = (v: PickleValue | undefined): PickleValue[] | null => (Array.isArray(v) ? v : kindOf(v) === "tuple" ? (v as Tuple).items : null);
export const isMark = (v: unknown): v is Mark => kindOf(v) === "mark";
export const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
