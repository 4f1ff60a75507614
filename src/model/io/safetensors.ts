// The safetensors container (reference §5.3): an 8-byte little-endian header length N, N bytes of UTF-8
// JSON mapping each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets into the data
// region after the header) plus an optional string→string "__metadata__", then the raw data.
// The reader checks the whole header when it opens a file, then reads tensors with positioned reads
// through one small staging buffer: a tensor of any size costs its float32 copy and nothing more.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as T from '../../tensor/index.js';
import { isObject } from '../validate.js';
import { CheckpointError, show } from './errors.js';
import { decodeFp8E4M3 } from './fp8.js';
import { bytesOf } from './storage.js';

/** Bytes per element of every dtype a header may name; all of them can be listed, not all decoded. */
const ITEM_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  U16: 2, I16: 2, F16: 2, BF16: 2,
  U32: 4, I32: 4, F32: 4,
  U64: 8, I64: 8, F64: 8,
} as const;

/** The dtypes that decode to float32 weights. */
const WEIGHT_DTYPES = ['F32', 'F16', 'BF16', 'F8_E4M3'] as const;
/** The safetensors dtype that holds each tensor-engine storage dtype bit for bit. */
export const FILE_DTYPE = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const;
const HALF_OF = { BF16: 'bfloat16', F16: 'float16' } as const;

export type SafetensorsDtype = keyof typeof ITEM_BYTES;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];
/** The dtypes writeSafetensors produces. */
export type WritableDtype = (typeof FILE_DTYPE)[keyof typeof FILE_DTYPE];

export function itemBytes(dtype: SafetensorsDtype): number {
  return ITEM_BYTES[dtype];
}

export function isWeightDtype(dtype: SafetensorsDtype): dtype is WeightDtype {
  return (WEIGHT_DTYPES as readonly string[]).includes(dtype);
}

export interface TensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly byteLength: number;
}

interface Entry extends TensorInfo {
  /** File position of the tensor's first byte. */
  readonly position: number;
}

/** The safetensors library's own limit; even the 671B model's headers are far smaller. */
const MAX_HEADER_BYTES = 100_000_000;
/** Reads, decodes and encodes go through a staging buffer of this size (a multiple of every item size). */
const CHUNK_BYTES = 1 << 22;
/** The most one readSync/writeSync call moves (the OS limit is just under 2 GiB). */
const MAX_IO_BYTES = 1 << 30;
/** Typed arrays use the host's byte order; safetensors data is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let stagingBuffer: Uint8Array | null = null;
/** One staging buffer for all files: I/O here is synchronous, so it is never in use twice at once. */
function staging(): Uint8Array {
  return (stagingBuffer ??= new Uint8Array(CHUNK_BYTES));
}

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && Object.hasOwn(ITEM_BYTES, v);
}

function isCounts(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** One tensor's header entry, checked against the data region of `dataBytes` bytes starting at `dataStart`. */
function parseEntry(path: string, name: string, v: unknown, dataStart: number, dataBytes: number): Entry {
  const bad = (what: string): CheckpointError => new CheckpointError(path, `tensor "${name}" ${what}`);
  const corrupt = 'the header is corrupt or this is not a safetensors file';
  if (!isObject(v)) throw bad(`must be an object {dtype, shape, data_offsets}, got ${show(v)}; ${corrupt}`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (!isDtype(dtype)) throw bad(`has dtype ${show(dtype)}, which r1ts does not know (known: ${Object.keys(ITEM_BYTES).join(', ')})`);
  if (!isCounts(shape)) throw bad(`has shape ${show(shape)}, not a list of non-negative integers; ${corrupt}`);
  if (!isCounts(offsets) || offsets.length !== 2) throw bad(`has data_offsets ${show(offsets)}, not [begin, end] in bytes; ${corrupt}`);
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`has data_offsets [${begin}, ${end}] that end before they begin; ${corrupt}`);
  if (end > dataBytes) throw bad(`has data_offsets [${begin}, ${end}] past the end of the ${dataBytes}-byte data region; the file is truncated (download it again) or corrupt`);
  const byteLength = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
  if (byteLength !== end - begin) throw bad(`has ${end - begin} bytes of data but ${dtype} ${T.fmtShape(shape)} needs ${byteLength}; ${corrupt}`);
  return { dtype, shape: Object.freeze([...shape]), byteLength, position: dataStart + begin };
}

/** No two tensors may share bytes (empty tensors take none). */
function checkNoOverlap(path: string, entries: ReadonlyMap<string, Entry>): void {
  const spans = [...entries].filter(([, e]) => e.byteLength > 0).sort((a, b) => a[1].position - b[1].position);
  // Sorted by start, some pair overlaps exactly when some neighbouring pair does.
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1]!;
    const [name, cur] = spans[i]!;
    if (prev.position + prev.byteLength > cur.position) {
      throw new CheckpointError(path, `tensors "${prevName}" and "${name}" overlap in the data region; the file is corrupt`);
    }
  }
}

/** Reads exactly dst.length bytes at `position`; a short read means the file shrank since it was opened. */
function readAt(path: string, fd: number, dst: Uint8Array, position: number): void {
  for (let done = 0; done < dst.length; ) {
    const n = readSync(fd, dst, done, Math.min(dst.length - done, MAX_IO_BYTES), position + done);
    if (n === 0) throw new CheckpointError(path, `the file ends at byte ${position + done}, before the data the header promises; it was truncated`);
    done += n;
  }
}

function readHeader(path: string, fd: number): { entries: Map<string, Entry>; metadata: Readonly<Record<string, string>> } {
  const fail = (what: string): CheckpointError => new CheckpointError(path, what);
  const size = fstatSync(fd).size;
  if (size < 8) throw fail(`the file has ${size} bytes, too few for the 8-byte header length; it is truncated or not a safetensors file`);
  const lengthBytes = Buffer.alloc(8);
  readAt(path, fd, lengthBytes, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`the header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not a safetensors file`);
  }
  const headerBytes = Number(headerLength);
  if (headerBytes > size - 8) throw fail(`the header length ${headerBytes} is more than the ${size - 8} bytes after it; the file is truncated (download it again)`);
  const raw = new Uint8Array(headerBytes);
  readAt(path, fd, raw, 8);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw fail(`the header is not UTF-8 JSON (${(e as Error).message}); the file is corrupt or not a safetensors file`);
  }
  if (!isObject(json)) throw fail(`the header must be a JSON object, got ${show(json)}; the file is corrupt or not a safetensors file`);

  const { __metadata__: metadata = {}, ...tensors } = json;
  if (!isObject(metadata) || !Object.values(metadata).every((s) => typeof s === 'string')) {
    throw fail(`__metadata__ must map strings to strings, got ${show(metadata)}`);
  }
  const entries = new Map<string, Entry>();
  for (const [name, v] of Object.entries(tensors)) entries.set(name, parseEntry(path, name, v, 8 + headerBytes, size - 8 - headerBytes));
  checkNoOverlap(path, entries);
  return { entries, metadata: Object.freeze({ ...(metadata as Record<string, string>) }) };
}

/** One open .safetensors file. Every method throws CheckpointError; close() when done. */
export class SafetensorsFile {
  private fd: number | null;
  readonly names: readonly string[];

  private constructor(
    readonly path: string,
    fd: number,
    private readonly entries: ReadonlyMap<string, Entry>,
    /** The header's `__metadata__` (HF writes {format: "pt"}). */
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.fd = fd;
    this.names = Object.freeze([...entries.keys()]);
  }

  /** Opens and validates the header; no tensor data is read. */
  static open(path: string): SafetensorsFile {
    if (!LITTLE_ENDIAN) throw new CheckpointError(path, 'safetensors data is little-endian and this host is big-endian; it is not supported');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new CheckpointError(path, `cannot open the file (${(e as Error).message})`);
    }
    try {
      const { entries, metadata } = readHeader(path, fd);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  info(name: string): TensorInfo {
    const { dtype, shape, byteLength } = this.entry(name);
    return { dtype, shape, byteLength };
  }

  /** The tensor's bytes as stored (little-endian), into `into` when given (exactly byteLength bytes). */
  readRaw(name: string, into?: Uint8Array): Uint8Array {
    const e = this.entry(name);
    const out = into ?? new Uint8Array(e.byteLength);
    this.checkSize(name, out.length, e.byteLength, 'bytes');
    readAt(this.path, this.openFd(), out, e.position);
    return out;
  }

  /**
   * The tensor as float32 values, into `into` when given (exactly one element per value). F8_E4M3 codes
   * are decoded without their block scales, which live in another tensor (CheckpointReader applies them).
   */
  readFloat32(name: string, into?: Float32Array): Float32Array {
    const e = this.entry(name);
    const { dtype } = e;
    if (!isWeightDtype(dtype)) throw new CheckpointError(this.path, `tensor "${name}" is ${dtype}; only ${WEIGHT_DTYPES.join(', ')} tensors decode as weights`);
    const item = ITEM_BYTES[dtype];
    const n = e.byteLength / item;
    const out = into ?? new Float32Array(n);
    this.checkSize(name, out.length, n, 'elements');
    const fd = this.openFd();
    if (dtype === 'F32') {
      readAt(this.path, fd, bytesOf(out), e.position);
      return out;
    }
    const buf = staging();
    const perChunk = CHUNK_BYTES / item;
    for (let i = 0; i < n; i += perChunk) {
      const count = Math.min(perChunk, n - i);
      const bytes = buf.subarray(0, count * item);
      readAt(this.path, fd, bytes, e.position + i * item);
      const dst = out.subarray(i, i + count);
      if (dtype === 'F8_E4M3') decodeFp8E4M3(dst, bytes);
      else T.kernels().halfToFloat(dst, new Uint16Array(buf.buffer, 0, count), HALF_OF[dtype], count);
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError(this.path, `has no tensor named "${name}"`);
    return e;
  }

  private openFd(): number {
    if (this.fd === null) throw new CheckpointError(this.path, 'the file was closed; open it again to read');
    return this.fd;
  }

  private checkSize(name: string, got: number, want: number, unit: string): void {
    if (got !== want) throw new CheckpointError(this.path, `tensor "${name}" has ${want} ${unit} but the destination holds ${got}`);
  }
}

export interface WriteEntry {
  readonly name: string;
  readonly dtype: WritableDtype;
  readonly shape: readonly number[];
  /** Float32 values (rounded to nearest even for BF16/F16), or BF16/F16 bits written as they are. */
  readonly data: Float32Array | Uint16Array;
}

function checkWriteEntry(path: string, e: WriteEntry, seen: Set<string>): void {
  const bad = (what: string): CheckpointError => new CheckpointError(path, `cannot write tensor "${e.name}": ${what}`);
  if (e.name === '__metadata__' || seen.has(e.name)) throw bad('the name is reserved or used twice');
  if (!isCounts(e.shape)) throw bad(`shape ${show(e.shape)} is not a list of non-negative integers`);
  if (e.data.length !== T.numel(e.shape)) throw bad(`${e.data.length} values do not fill shape ${T.fmtShape(e.shape)}`);
  if (e.data instanceof Uint16Array && e.dtype === 'F32') throw bad('raw 16-bit data can only be written as BF16 or F16');
  seen.add(e.name);
}

/** Writes all of `bytes` at the current file position. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, MAX_IO_BYTES));
}

function writeData(fd: number, e: WriteEntry): void {
  if (e.dtype === 'F32' || e.data instanceof Uint16Array) return writeAll(fd, bytesOf(e.data));
  const buf = staging();
  const halves = new Uint16Array(buf.buffer, 0, CHUNK_BYTES / 2);
  for (let i = 0; i < e.data.length; i += halves.length) {
    const count = Math.min(halves.length, e.data.length - i);
    T.kernels().floatToHalf(halves.subarray(0, count), e.data.subarray(i, i + count), HALF_OF[e.dtype], count);
    writeAll(fd, buf.subarray(0, count * 2));
  }
}

/**
 * Writes a .safetensors file with the tensors in the given order. The data goes to `path.tmp`, which is
 * renamed to `path` only once complete, so a crash never leaves a half-written file under the real name.
 */
export function writeSafetensors(path: string, entries: readonly WriteEntry[], metadata?: Readonly<Record<string, string>>): void {
  const seen = new Set<string>();
  const header: [string, unknown][] = metadata ? [['__metadata__', metadata]] : [];
  let offset = 0;
  for (const e of entries) {
    checkWriteEntry(path, e, seen);
    const end = offset + e.data.length * ITEM_BYTES[e.dtype];
    header.push([e.name, { dtype: e.dtype, shape: e.shape, data_offsets: [offset, end] }]);
    offset = end;
  }
  // fromEntries defines every key as an own property, "__proto__" included. Spaces pad the JSON to a
  // multiple of 8 bytes so the data region starts aligned, as the safetensors library writes it.
  const json = JSON.stringify(Object.fromEntries(header));
  const headerBytes = Buffer.from(json + ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8), 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));

  const tmp = `${path}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new CheckpointError(path, `cannot create ${tmp} (${(e as Error).message})`);
  }
  let complete = false;
  try {
    writeAll(fd, lengthBytes);
    writeAll(fd, headerBytes);
    for (const e of entries) writeData(fd, e);
    fsyncSync(fd);
    complete = true;
  } catch (e) {
    throw new CheckpointError(path, `writing failed (${(e as Error).message}); nothing was written under this name`);
  } finally {
    closeSync(fd);
    if (!complete) rmSync(tmp, { force: true });
  }
  renameSync(tmp, path);
}
