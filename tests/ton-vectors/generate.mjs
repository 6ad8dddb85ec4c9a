// Test vectors for the C++ TON layer, produced by @ton/core / @ton/ton (the reference).
// Usage: node generate.mjs OUT.json
// Cells are described by a small op list that both this script and the C++ test interpret
// with their own builders; the C++ side must reproduce the hash, depth and BoC bytes exactly.
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { beginCell, Address, contractAddress, internal, external, storeMessage, storeMessageRelaxed, storeStateInit, Cell } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';

const out = process.argv[2];
if (!out) {
  console.error('usage: node generate.mjs OUT.json');
  process.exit(2);
}

// Deterministic pseudo-random bytes (no Math.random: vectors must be stable).
let rngState = 0x12345678n;
function rngBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    rngState = (rngState * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    b[i] = Number(rngState >> 56n);
  }
  return b;
}
const hexOf = (big, bytes) => big.toString(16).padStart(bytes * 2, '0');
const twos = (v, bits) => (v < 0n ? (1n << BigInt(Math.ceil(bits / 8) * 8)) + v : v);

// Op list -> @ton/core cell. Ops:
//   ["uint", bits, hex]  ["int", bits, hex two's complement in ceil(bits/8) bytes]  ["bit", 0|1]
//   ["bits", nbits, hex]  ["bytes", hex]  ["coins", hex]  ["address", raw|null]  ["ref", spec]  ["maybe_ref", spec|null]
//   ["chain", n] (see below)
function build(spec) {
  const b = beginCell();
  for (const op of spec) {
    switch (op[0]) {
      case 'uint': b.storeUint(BigInt('0x' + op[2]), op[1]); break;
      case 'int': {
        let v = BigInt('0x' + op[2]);
        const width = BigInt(op[2].length * 4);
        if (v >> (width - 1n)) v -= 1n << width;
        b.storeInt(v, op[1]);
        break;
      }
      case 'bit': b.storeBit(op[1]); break;
      case 'bits': {
        const buf = Buffer.from(op[2], 'hex');
        for (let i = 0; i < op[1]; i++) b.storeBit((buf[i >> 3] >> (7 - (i & 7))) & 1);
        break;
      }
      case 'bytes': b.storeBuffer(Buffer.from(op[1], 'hex')); break;
      case 'coins': b.storeCoins(BigInt('0x' + op[1])); break;
      case 'address': b.storeAddress(op[1] === null ? null : Address.parseRaw(op[1])); break;
      case 'ref': b.storeRef(build(op[1])); break;
      case 'maybe_ref': b.storeMaybeRef(op[1] === null ? null : build(op[1])); break;
      case 'chain': {  // ["chain", n]: n=0 -> uint8 0x2a; else uint7 (n-1)%128 and a ref to ["chain", n-1] (keeps deep trees out of the JSON nesting)
        let c = beginCell().storeUint(0x2a, 8).endCell();
        for (let i = 0; i < op[1] - 1; i++) c = beginCell().storeUint(i % 128, 7).storeRef(c).endCell();
        if (op[1] === 0) b.storeUint(0x2a, 8);
        else b.storeUint((op[1] - 1) % 128, 7).storeRef(c);
        break;
      }
      default: throw new Error('unknown op ' + op[0]);
    }
  }
  return b.endCell();
}

function cellVector(name, spec) {
  const c = build(spec);
  return {
    name,
    spec,
    hash: c.hash().toString('hex'),
    depth: c.depth(),
    bits: c.bits.length,
    refs: c.refs.length,
    bits_text: c.bits.toString(),
    boc_hex: c.toBoc().toString('hex'),                                  // @ton/core default: crc32c, no index
    boc_plain_hex: c.toBoc({ idx: false, crc32: false }).toString('hex'),
    boc_idx_crc_hex: c.toBoc({ idx: true, crc32: true }).toString('hex'),
    boc_idx_hex: c.toBoc({ idx: true, crc32: false }).toString('hex'),
  };
}

const addrA = '0:' + rngBytes(32).toString('hex');
const addrM = '-1:' + rngBytes(32).toString('hex');
const leaf = (n) => [['uint', 16, hexOf(BigInt(n), 2)]];
const chain = (n) => [['chain', n]];
function tree(depth, seed) {
  if (depth === 0) return [['bits', 1 + (seed % 40), rngBytes(6).toString('hex')]];
  const spec = [['uint', 5, hexOf(BigInt(seed % 32), 1)]];
  for (let i = 0; i < 4; i++) spec.push(['ref', tree(depth - 1, seed * 4 + i)]);
  return spec;
}
const shared = [['bytes', 'deadbeef'], ['ref', leaf(7)]];

const cells = [
  cellVector('empty', []),
  cellVector('one_bit', [['bit', 1]]),
  cellVector('three_bits', [['bits', 3, 'a0']]),
  cellVector('seven_bits', [['uint', 7, '55']]),
  cellVector('byte', [['uint', 8, 'ff']]),
  cellVector('uint32', [['uint', 32, '12345678']]),
  cellVector('uint64_max', [['uint', 64, 'ffffffffffffffff']]),
  cellVector('uint256', [['uint', 256, rngBytes(32).toString('hex')]]),
  cellVector('uint255_small', [['uint', 255, '05']]),
  cellVector('int8_neg', [['int', 8, hexOf(twos(-5n, 8), 1)]]),
  cellVector('int64_min', [['int', 64, '8000000000000000']]),
  cellVector('int257_neg', [['int', 257, hexOf(twos(-123456789n, 257), 33)]]),
  cellVector('int100_neg_big', [['int', 100, hexOf(twos(-(1n << 98n) + 12345n, 100), 13)]]),
  cellVector('coins_zero', [['coins', '00']]),
  cellVector('coins_ton', [['coins', hexOf(1000000000n, 4)]]),
  cellVector('coins_big', [['coins', 'ffffffffffffffffffffffffffffff']]),
  cellVector('address_std', [['address', addrA]]),
  cellVector('address_master', [['address', addrM]]),
  cellVector('address_none', [['address', null], ['uint', 3, '05']]),
  cellVector('max_bits_1023', [['bits', 1023, rngBytes(128).toString('hex')]]),
  cellVector('bits_1016', [['bits', 1016, rngBytes(127).toString('hex')]]),
  cellVector('bytes_127', [['bytes', rngBytes(127).toString('hex')]]),
  cellVector('refs_four', [['uint', 4, '09'], ['ref', leaf(1)], ['ref', leaf(2)], ['ref', leaf(3)], ['ref', leaf(4)]]),
  cellVector('maybe_refs', [['maybe_ref', leaf(1)], ['maybe_ref', null], ['bit', 1]]),
  cellVector('shared_subtree', [['ref', shared], ['ref', [['ref', shared], ['uint', 3, '01']]], ['ref', shared]]),
  cellVector('chain_300', chain(300)),
  cellVector('chain_1000', chain(1000)),
  cellVector('tree_4x4', tree(4, 1)),
  cellVector('mixed_message_like', [['uint', 32, 'bb63ff93'], ['uint', 64, '000000000000002a'], ['bits', 512, rngBytes(64).toString('hex')],
    ['ref', [['uint', 32, 'bb63ff93'], ['address', addrA], ['address', addrM], ['uint', 64, '00000000000f4240'], ['uint', 256, '00']]]]),
];

function addressVector(raw) {
  const a = Address.parseRaw(raw);
  const f = (o) => a.toString(o);
  return {
    raw: a.toRawString(),
    workchain: a.workChain,
    hash_hex: a.hash.toString('hex'),
    bounceable: f({ urlSafe: true, bounceable: true, testOnly: false }),
    non_bounceable: f({ urlSafe: true, bounceable: false, testOnly: false }),
    testnet_bounceable: f({ urlSafe: true, bounceable: true, testOnly: true }),
    testnet_non_bounceable: f({ urlSafe: true, bounceable: false, testOnly: true }),
    bounceable_std: f({ urlSafe: false, bounceable: true, testOnly: false }),
    testnet_non_bounceable_std: f({ urlSafe: false, bounceable: false, testOnly: true }),
  };
}
const addresses = [addrA, addrM, '0:' + '00'.repeat(32), '-1:' + 'ff'.repeat(32), '0:' + 'fb'.repeat(32), '-1:' + rngBytes(32).toString('hex')].map(addressVector);

function stateInitVector(name, wc, codeSpec, dataSpec) {
  const init = { code: build(codeSpec), data: build(dataSpec) };
  const cell = beginCell().store(storeStateInit(init)).endCell();
  return { name, workchain: wc, code: codeSpec, data: dataSpec, state_init_boc_hex: cell.toBoc().toString('hex'), address_raw: contractAddress(wc, init).toRawString() };
}
const stateInits = [
  stateInitVector('small', 0, [['uint', 32, 'ff00f4a4']], [['uint', 64, '0000000000000001']]),
  stateInitVector('master', -1, tree(2, 3), [['address', addrA], ['coins', '3b9aca00']]),
];

function walletFor(name, wc) {
  const seed = createHash('sha256').update('chrysalis-devnet:' + name).digest();
  const kp = keyPairFromSeed(seed);
  const w = WalletContractV4.create({ workchain: wc, publicKey: kp.publicKey });
  return { seed, kp, w };
}

// Internal-message spec -> @ton/core internal(); the same spec drives the C++ builder.
function internalOf(m) {
  return internal({
    to: Address.parseRaw(m.dest),
    value: BigInt(m.value),
    bounce: m.bounce,
    body: m.body === null ? undefined : build(m.body),
    init: m.init === null ? undefined : { code: build(m.init.code), data: build(m.init.data) },
  });
}
const internalMessages = [
  { dest: addrA, value: '1000000000', bounce: true, body: null, init: null },
  { dest: addrM, value: '1', bounce: false, body: [['uint', 32, '00000000'], ['bytes', Buffer.from('hello').toString('hex')]], init: null },
  { dest: addrA, value: '50000000', bounce: true, body: [['uint', 32, 'f172e6c2'], ['uint', 64, '0000000000000007'], ['coins', '05f5e100']],
    init: { code: [['uint', 32, 'ff00f4a4']], data: [['uint', 64, '0000000000000001']] } },
  { dest: addrA, value: '123456789', bounce: true, body: [['bits', 900, rngBytes(113).toString('hex')], ['ref', leaf(9)]],
    init: { code: tree(1, 5), data: [['bits', 700, rngBytes(88).toString('hex')]] } },
  { dest: addrA, value: '0', bounce: true, body: [['ref', leaf(1)], ['ref', leaf(2)], ['ref', leaf(3)], ['ref', leaf(4)]], init: { code: leaf(5), data: leaf(6) } },
];
const internalVectors = internalMessages.map((m) => {
  const c = beginCell().store(storeMessageRelaxed(internalOf(m))).endCell();
  return { message: m, boc_hex: c.toBoc().toString('hex'), hash: c.hash().toString('hex') };
});

const wallets = [['alice', 0], ['bob', 0], ['giver', -1]].map(([name, wc]) => {
  const { seed, kp, w } = walletFor(name, wc);
  return {
    name, workchain: wc, seed_hex: seed.toString('hex'), public_key_hex: kp.publicKey.toString('hex'), wallet_id: w.walletId,
    address_raw: w.address.toRawString(), address_bounceable: w.address.toString(),
    code_hash: w.init.code.hash().toString('hex'), data_boc_hex: w.init.data.toBoc().toString('hex'),
  };
});

function transferVector(name, walletName, wc, seqno, validUntil, sendMode, messages, deploy) {
  const { kp, w } = walletFor(walletName, wc);
  const body = w.createTransfer({ seqno, secretKey: kp.secretKey, timeout: validUntil, sendMode, messages: messages.map(internalOf) });
  const ext = external({ to: w.address, init: deploy ? w.init : undefined, body });
  const cell = beginCell().store(storeMessage(ext)).endCell();
  return { name, wallet: walletName, workchain: wc, seqno, valid_until: validUntil, send_mode: sendMode, deploy, messages,
    body_hash: body.hash().toString('hex'), boc_hex: cell.toBoc().toString('hex'), hash: cell.hash().toString('hex') };
}
const transfers = [
  transferVector('one_plain', 'alice', 0, 5, 1700000000, 3, [internalMessages[0]], false),
  transferVector('deploy_one', 'alice', 0, 0, 1700000060, 3, [internalMessages[1]], true),
  transferVector('deploy_four', 'bob', 0, 0, 1800000000, 3, internalMessages.slice(0, 4), true),
  transferVector('four_with_init', 'bob', 0, 17, 1800000000, 1, internalMessages.slice(1, 5), false),
  transferVector('master_wallet', 'giver', -1, 1, 4000000000, 128 + 2, [internalMessages[2]], false),
];

writeFileSync(out, JSON.stringify({ generator: '@ton/core ' + (await import('@ton/core/package.json', { with: { type: 'json' } })).default.version,
  cells, addresses, state_inits: stateInits, internal_messages: internalVectors, wallets, transfers }));
console.log(`wrote ${out}: ${cells.length} cells, ${addresses.length} addresses, ${stateInits.length} state inits, ${internalVectors.length} internal messages, ${wallets.length} wallets, ${transfers.length} transfers`);
