// Proxmox property strings: the "key=value,key=value" values many API parameters take and VM
// configurations hold ("virtio=BC:24:11:0A:0B:0C,bridge=vmbr1,tag=20", "local-lvm:vm-100-disk-0,size=8G",
// "ip=10.0.0.5/24,gw=10.0.0.1"), where one key may be written bare (the default key), and disk
// sizes with a unit ("8G"). Hand-written: the format is PVE's own and small.

/** The entries of a property string, in order; a bare entry belongs to `defaultKey` (else to the key ""). */
export function parseProps(text: string, defaultKey = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 0) out[defaultKey] = t;
    else out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return out;
}

/**
 * A property string from entries in the order given; undefined/null/'' values are left out,
 * booleans become 0/1, and the default key (when first) is written bare.
 */
export function formatProps(entries: [string, string | number | boolean | null | undefined][], defaultKey?: string): string {
  const parts: string[] = [];
  for (const [k, v] of entries) {
    if (v === undefined || v === null || v === '') continue;
    const text = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    parts.push(k === defaultKey && parts.length === 0 ? text : `${k}=${text}`);
  }
  return parts.join(',');
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A PVE size ("8G", "512M", "1T", bytes when bare) in GiB; undefined when unreadable. */
export function sizeGiB(text: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  return (Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) / UNITS.G!;
}

/** A comma/space/semicolon separated list ("eno1 eno2", "pve1,pve2", "a;b") as its items. */
export function splitList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((x) => x !== '');
  if (typeof v !== 'string') return [];
  return v.split(/[\s,;]+/).filter((x) => x !== '');
}
