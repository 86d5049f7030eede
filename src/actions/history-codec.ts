// The packed form of a run of samples, so a month of 15 s samples fits a small file: each point is
// one varint holding the time step from the previous point (milliseconds) and a 2-bit tag saying
// how the value follows — the same as before (nothing), a small integer (zigzag varint), a float32
// that is exact, or a float64. Values are never rounded: a float that float32 cannot hold exactly
// stays 8 bytes. A typical ratio sample costs 11 bytes, a counter 4–6, an unchanged value 3.

import type { Point } from '../engine/types.js';

const SAME = 0;
const INT = 1;
const F32 = 2;
const F64 = 3;
/** Integers up to this magnitude are written as varints (exact in a double). */
const MAX_INT = 2 ** 48;

export class HistoryCodecError extends Error {
  override readonly name = 'HistoryCodecError';
}

/** Points in strictly increasing time order, all at or after `start`. */
export function encodePoints(start: number, points: readonly Point[]): Uint8Array {
  const out = new Writer(points.length * 6 + 16);
  let prevT = start;
  let prevV: number | undefined;
  const f32 = new Float32Array(1);
  for (const p of points) {
    const step = p.t - prevT;
    if (!(step >= 0) || !Number.isInteger(step)) throw new HistoryCodecError(`points out of order or not whole milliseconds at ${p.t}`);
    prevT = p.t;
    const v = p.v;
    if (prevV !== undefined && Object.is(v, prevV)) {
      out.varint(step * 4 + SAME);
    } else if (Number.isInteger(v) && Math.abs(v) < MAX_INT && !Object.is(v, -0)) {
      out.varint(step * 4 + INT);
      out.varint(v < 0 ? -v * 2 - 1 : v * 2);
    } else {
      f32[0] = v;
      if (f32[0] === v) {
        out.varint(step * 4 + F32);
        out.float32(v);
      } else {
        out.varint(step * 4 + F64);
        out.float64(v);
      }
    }
    prevV = v;
  }
  return out.done();
}

export function decodePoints(start: number, data: Uint8Array): Point[] {
  const points: Point[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let t = start;
  let v = Number.NaN;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= data.length) throw new HistoryCodecError('packed samples end in the middle of a number');
      const byte = data[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 56) throw new HistoryCodecError('packed samples hold a number too long');
    }
  };
  const need = (n: number) => {
    if (at + n > data.length) throw new HistoryCodecError('packed samples end in the middle of a value');
  };
  while (at < data.length) {
    const head = varint();
    const tag = head % 4;
    t += (head - tag) / 4;
    if (tag === INT) {
      const z = varint();
      v = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    } else if (tag === F32) {
      need(4);
      v = view.getFloat32(at, true);
      at += 4;
    } else if (tag === F64) {
      need(8);
      v = view.getFloat64(at, true);
      at += 8;
    } else if (points.length === 0) {
      throw new HistoryCodecError('packed samples start with a repeat of nothing');
    }
    points.push({ t, v });
  }
  return points;
}

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private at = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  varint(n: number): void {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }

  float32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.at, v, true);
    this.at += 4;
  }

  float64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(this.buf.buffer);
  }
}
