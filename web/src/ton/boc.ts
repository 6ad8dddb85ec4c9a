// The client contract's TopUp message body (contracts/README.md, "Client contract":
// op 0xf172e6c2, query_id:uint64, amount:coins) as a one-cell bag of cells, base64, for a wallet
// to attach to a transfer (TON Connect's `payload`).

export const TOPUP_OP = 0xf172e6c2;
/** A top-up must carry amount + MIN_GAS_VALUE (0.01 TON); the excess comes back. */
export const TOPUP_GAS_NANO = 20_000_000n;

class BitWriter {
  bits: number[] = [];
  uint(value: bigint, width: number) {
    for (let i = width - 1; i >= 0; i--) this.bits.push(Number((value >> BigInt(i)) & 1n));
  }
  coins(value: bigint) {
    let len = 0;
    for (let v = value; v > 0n; v >>= 8n) len++;
    if (len > 15) throw new Error("amount too large");
    this.uint(BigInt(len), 4);
    this.uint(value, len * 8);
  }
}

function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** One cell without references, serialized as a BoC with a CRC32-C. */
export function singleCellBoc(bits: number[]): Uint8Array {
  if (bits.length > 1023) throw new Error("cell overflow");
  const full = Math.floor(bits.length / 8);
  const partial = bits.length % 8 !== 0;
  const data = new Uint8Array(full + (partial ? 1 : 0));
  bits.forEach((bit, i) => {
    if (bit) data[i >> 3] |= 0x80 >> (i & 7);
  });
  if (partial) data[full] |= 0x80 >> (bits.length % 8); // completion tag
  const cell = new Uint8Array(2 + data.length);
  cell[0] = 0; // d1: no refs, ordinary, level 0
  cell[1] = full + Math.ceil(bits.length / 8); // d2
  cell.set(data, 2);
  const header = [0xb5, 0xee, 0x9c, 0x72, 0x41 /* crc32c, size_bytes 1 */, 1 /* off_bytes */, 1, 1, 0, cell.length, 0];
  const out = new Uint8Array(header.length + cell.length + 4);
  out.set(header, 0);
  out.set(cell, header.length);
  const crc = crc32c(out.subarray(0, header.length + cell.length));
  new DataView(out.buffer).setUint32(header.length + cell.length, crc, true);
  return out;
}

export function topUpPayload(amountNano: bigint, queryId = BigInt(Date.now())): string {
  const w = new BitWriter();
  w.uint(BigInt(TOPUP_OP), 32);
  w.uint(queryId & 0xffffffffffffffffn, 64);
  w.coins(amountNano);
  const boc = singleCellBoc(w.bits);
  let s = "";
  boc.forEach((b) => (s += String.fromCharCode(b)));
  return btoa(s);
}
