// CIDR functions for IPv4 and IPv6. Addresses are BigInts (128 bits do not fit a JS number);
// parsing accepts what Terraform's address parser accepts (including leading zeros in IPv4
// octets, read as decimal) and printing follows Go's net.IP.String (RFC 5952 for IPv6).
// cidrsubnets() allocates consecutive subnets the way Terraform does: each next subnet starts
// after the end of the previous one, aligned to its own size.

import type { FunctionDef } from './types.js';
import { argError, callError, num, str, toInt, toStr } from './args.js';
import type { Value } from '../value.js';

interface Prefix {
  v6: boolean;
  bits: number; // 32 or 128
  addr: bigint;
  len: number;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
    if (tail.includes('::')) return undefined;
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
      out.push(parseInt(it, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  let all: number[];
  if (dbl >= 0) {
    if (h.length + t.length > 7) return undefined;
    all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  } else {
    if (h.length !== 8) return undefined;
    all = h;
  }
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

function parseCidr(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = s.slice(0, slash);
  const lenStr = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenStr)) return undefined;
  const len = Number(lenStr);
  const v6 = ip.includes(':');
  const addr = v6 ? parseV6(ip) : parseV4(ip);
  const bits = v6 ? 128 : 32;
  if (addr === undefined || len > bits) return undefined;
  return { v6, bits, addr, len };
}

// Thousands of instances typically share a handful of prefixes.
const parsed = new Map<string, Prefix>();

function prefixArg(v: Value): Prefix {
  const s = toStr(v, 0, 'prefix');
  const hit = parsed.get(s);
  if (hit) return hit;
  const p = parseCidr(s);
  if (!p) throw callError(`invalid CIDR expression: invalid CIDR address: ${s}`);
  if (parsed.size > 1000) parsed.clear();
  parsed.set(s, p);
  return p;
}

const ONES: bigint[] = [];
for (let i = 0; i <= 128; i++) ONES.push((1n << BigInt(i)) - 1n);

function allOnes(bits: number): bigint {
  return ONES[bits];
}

function mask(bits: number, len: number): bigint {
  return ONES[bits] ^ ONES[bits - len];
}

function formatV4(v: bigint): string {
  const n = Number(v);
  return `${Math.floor(n / 16777216) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(v: bigint): string {
  // Go prints IPv4-mapped addresses in dotted form.
  if (v >> 32n === 0xffffn) return formatV4(v & 0xffffffffn);
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups (the first on a tie) becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return hex(g.slice(0, bestStart)) + '::' + hex(g.slice(bestStart + bestLen));
}

function formatIp(p: { v6: boolean }, v: bigint): string {
  return p.v6 ? formatV6(v) : formatV4(v);
}

/** A whole number argument as a BigInt (JS numbers beyond 2^53 are taken as they are). */
function bigArg(v: Value, arg: number, param: string): bigint {
  return BigInt(toInt(v, arg, param));
}

export const NETWORK_FUNCTIONS: Record<string, FunctionDef> = {
  cidrhost: {
    params: [str('prefix'), num('hostnum')],
    impl: ([prefixV, hostV]) => {
      const p = prefixArg(prefixV);
      const given = bigArg(hostV, 1, 'hostnum');
      const hostBits = p.bits - p.len;
      const size = 1n << BigInt(hostBits);
      const host = given < 0n ? size + given : given;
      if (host < 0n || host >= size) throw callError(`prefix of ${p.len} does not accommodate a host numbered ${given}`);
      return formatIp(p, (p.addr & mask(p.bits, p.len)) | host);
    },
  },
  cidrnetmask: {
    params: [str('prefix')],
    impl: ([prefixV]) => {
      const p = prefixArg(prefixV);
      if (p.v6) throw callError(`IPv6 addresses cannot have a netmask: ${toStr(prefixV, 0, 'prefix')}`);
      return formatV4(mask(32, p.len));
    },
  },
  cidrsubnet: {
    params: [str('prefix'), num('newbits'), num('netnum')],
    impl: ([prefixV, newbitsV, netnumV]) => {
      const p = prefixArg(prefixV);
      const newbits = toInt(newbitsV, 1, 'newbits');
      const netnum = bigArg(netnumV, 2, 'netnum');
      const newLen = p.len + newbits;
      if (newLen > p.bits) throw callError(`insufficient address space to extend prefix of ${p.len} by ${newbits}`);
      if (newLen < 0) throw callError(`cannot shorten prefix of ${p.len} by ${-newbits}`);
      const extBits = Math.max(newbits, 0);
      if (netnum < 0n || netnum >= 1n << BigInt(extBits)) {
        throw callError(`prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`);
      }
      const base = p.addr & mask(p.bits, Math.min(p.len, newLen));
      const addr = base | (netnum << BigInt(p.bits - newLen));
      return `${formatIp(p, addr)}/${newLen}`;
    },
  },
  cidrsubnets: {
    params: [str('prefix')],
    variadic: num('newbits'),
    impl: ([prefixV, ...newbitsV]) => {
      const p = prefixArg(prefixV);
      if (newbitsV.length === 0) return [];
      const network = p.addr & mask(p.bits, p.len);
      const networkEnd = network | allOnes(p.bits - p.len);
      const top = allOnes(p.bits);
      const lens = newbitsV.map((v, i) => {
        const nb = toInt(v, i + 1, 'newbits');
        if (nb < 1) throw argError(i + 1, 'newbits', 'must extend prefix by at least one bit');
        const len = p.len + nb;
        if (len > p.bits) {
          throw argError(i + 1, 'newbits', `would extend prefix to ${len} bits, which is too long for an ${p.v6 ? 'IPv6' : 'IPv4'} address`);
        }
        return len;
      });
      // Start from the subnet just before the network, sized like the first request.
      let curLen = lens[0];
      let cur = ((network - 1n) & top) & mask(p.bits, curLen);
      const out: Value[] = [];
      for (let i = 0; i < lens.length; i++) {
        const len = lens[i];
        const curLast = cur | allOnes(p.bits - curLen);
        const aligned = curLast & mask(p.bits, len);
        const after = (aligned | allOnes(p.bits - len)) + 1n;
        const rollover = after > top;
        const next = (after & top) & mask(p.bits, len);
        if (rollover || next < network || next > networkEnd) {
          throw argError(
            i + 1,
            'newbits',
            `not enough remaining address space for a subnet with a prefix of ${len} bits after ${formatIp(p, cur)}/${curLen}`,
          );
        }
        cur = next;
        curLen = len;
        out.push(`${formatIp(p, cur)}/${len}`);
      }
      return out;
    },
  },
};
