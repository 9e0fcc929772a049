import "server-only";
import { ModelFactsProblem, type ByteSource } from "./source";

/**
 * Reads a header front to back through a window of the source, fetching 1 MiB at a time, and
 * refuses to read past `limit` bytes: a header that claims more is a problem, not a memory spike.
 */
export class HeaderCursor {
  private buffer: Buffer = Buffer.alloc(0);
  private start = 0;
  position: number;

  constructor(
    private readonly source: ByteSource,
    private readonly limit: number,
    private readonly what: string,
    offset = 0,
  ) {
    this.position = offset;
  }

  private async ensure(n: number): Promise<Buffer> {
    if (this.position + n > this.source.size) throw new ModelFactsProblem(`${this.what} ends past the end of the file (${this.source.size} bytes)`);
    if (this.position + n > this.limit) throw new ModelFactsProblem(`${this.what} is longer than the ${this.limit}-byte limit`);
    const end = this.start + this.buffer.length;
    if (this.position < this.start || this.position + n > end) {
      const length = Math.min(Math.max(n, 1 << 20), this.source.size - this.position);
      this.buffer = await this.source.read(this.position, length);
      this.start = this.position;
    }
    const at = this.position - this.start;
    this.position += n;
    return this.buffer.subarray(at, at + n);
  }

  async bytes(n: number): Promise<Buffer> {
    return Buffer.from(await this.ensure(n));
  }
  async u8() {
    return (await this.ensure(1)).readUInt8(0);
  }
  async u16() {
    return (await this.ensure(2)).readUInt16LE(0);
  }
  async u32() {
    return (await this.ensure(4)).readUInt32LE(0);
  }
  async i32() {
    return (await this.ensure(4)).readInt32LE(0);
  }
  /** A u64 that must fit a JavaScript number exactly (counts, lengths, offsets). */
  async u64(field: string): Promise<number> {
    const value = (await this.ensure(8)).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFactsProblem(`${this.what}: ${field} ${value} is not a plausible size`);
    return Number(value);
  }
  async i64() {
    return Number((await this.ensure(8)).readBigInt64LE(0));
  }
  async f32() {
    return (await this.ensure(4)).readFloatLE(0);
  }
  async f64() {
    return (await this.ensure(8)).readDoubleLE(0);
  }
  skip(n: number) {
    this.position += n;
  }
}
