// Pure operations on a State value: create, look up, put, remove, move (for `state mv`) and list.
// None of them mutates its input; each returns a new State that shares unchanged resources.
// Addresses are parsed into segments so keys such as ["a.b"] never confuse prefix matching.

import { randomUUID } from 'node:crypto';
import { nearestName } from '../diagnostics.js';
import { STATE_FORMAT_VERSION, type ResourceInstanceState, type State } from './types.js';
import { StateError } from './file.js';
import { compareAddresses } from './address-order.js';

/** A new, never-written state. Serial 0: the first state written has serial 1. */
export function emptyState(version: string): State {
  return {
    format_version: STATE_FORMAT_VERSION,
    poolform_version: version,
    serial: 0,
    lineage: newLineage(),
    resources: [],
    outputs: {},
  };
}

/** Lineage: one random id for the whole life of a state, so two unrelated states never mix. */
export function newLineage(): string {
  return randomUUID();
}

// ---------------------------------------------------------------------------------------------
// Addresses

export interface ModuleStep {
  name: string;
  /** Canonical key text with brackets: `[0]` or `["a"]`; undefined when the step has none. */
  key?: string;
}

export interface ParsedAddress {
  modules: ModuleStep[];
  resource?: { mode: 'managed' | 'data'; type: string; name: string; key?: string };
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

/** Parses `module.a["x"].data.t.n[0]`-style addresses (module-only ones too). Throws StateError. */
export function parseAddress(text: string): ParsedAddress {
  let i = 0;
  const fail = (why: string): never => {
    throw new StateError(`invalid address "${text}": ${why} at character ${i + 1}`);
  };
  const ident = (): string => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(text);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const key = (): string | undefined => {
    if (text[i] !== '[') return undefined;
    i++;
    let out: string;
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return fail('unterminated string key');
      let v: unknown;
      try {
        v = JSON.parse(text.slice(i, j + 1));
      } catch {
        return fail('bad string key');
      }
      out = `[${JSON.stringify(v)}]`;
      i = j + 1;
    } else {
      const m = /^\d+/.exec(text.slice(i));
      if (!m) return fail('expected a number or a quoted string as key');
      out = `[${Number(m[0])}]`;
      i += m[0].length;
    }
    if (text[i] !== ']') return fail('expected "]"');
    i++;
    return out;
  };
  const dot = (): void => {
    if (text[i] !== '.') fail('expected "."');
    i++;
  };
  const modules: ModuleStep[] = [];
  let resource: ParsedAddress['resource'];
  for (;;) {
    const first = ident();
    if (first === 'module' && text[i] === '.') {
      dot();
      const name = ident();
      modules.push({ name, key: key() });
      if (i === text.length) break;
      dot();
      continue;
    }
    let mode: 'managed' | 'data' = 'managed';
    let type = first;
    if (first === 'data' && text[i] === '.') {
      dot();
      mode = 'data';
      type = ident();
    }
    dot();
    const name = ident();
    resource = { mode, type, name, key: key() };
    if (i !== text.length) fail('unexpected text after the resource address');
    break;
  }
  return { modules, resource };
}

export function formatAddress(p: ParsedAddress): string {
  let s = '';
  for (const m of p.modules) s += `${s === '' ? '' : '.'}module.${m.name}${m.key ?? ''}`;
  if (p.resource) {
    const r = p.resource;
    s += `${s === '' ? '' : '.'}${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}${r.key ?? ''}`;
  }
  return s;
}

/** Canonical spelling of an address (e.g. `[ 'a' ]`-free, numbers without leading zeros). */
export function canonicalAddress(text: string): string {
  return formatAddress(parseAddress(text));
}

/** The key of the pattern's last step (resource key, or last module key for a module pattern). */
function lastKey(p: ParsedAddress): string | undefined {
  return p.resource ? p.resource.key : p.modules[p.modules.length - 1]?.key;
}

/**
 * Does instance address `t` fall under pattern `p`? A module pattern matches everything inside it;
 * a resource pattern its instances. With `wildcard`, a keyless last step matches any key (all
 * instances); without it, keys must be equal (a keyless step matching only a keyless instance).
 */
function matches(t: ParsedAddress, p: ParsedAddress, wildcard: boolean): boolean {
  const pm = p.modules;
  if (p.resource) {
    if (!t.resource || t.modules.length !== pm.length) return false;
  } else if (t.modules.length < pm.length || pm.length === 0) {
    return false;
  }
  for (let i = 0; i < pm.length; i++) {
    if (t.modules[i].name !== pm[i].name) return false;
    const isLast = !p.resource && i === pm.length - 1;
    if (isLast && wildcard && pm[i].key === undefined) continue;
    if (t.modules[i].key !== pm[i].key) return false;
  }
  if (p.resource) {
    const a = t.resource!;
    const b = p.resource;
    if (a.mode !== b.mode || a.type !== b.type || a.name !== b.name) return false;
    if (!(wildcard && b.key === undefined) && a.key !== b.key) return false;
  }
  return true;
}

/** Rewrites matched address `t` from pattern `from` to pattern `to` (same kind, checked before). */
function remap(t: ParsedAddress, from: ParsedAddress, to: ParsedAddress, carryKey: boolean): ParsedAddress {
  if (from.resource) {
    const r = to.resource!;
    return { modules: to.modules, resource: { ...r, key: carryKey ? t.resource!.key : r.key } };
  }
  const k = from.modules.length;
  const modules = to.modules.slice();
  if (carryKey) modules[modules.length - 1] = { name: modules[modules.length - 1].name, key: t.modules[k - 1].key };
  for (let i = k; i < t.modules.length; i++) modules.push(t.modules[i]);
  return { modules, resource: t.resource };
}

// ---------------------------------------------------------------------------------------------
// Look-ups

/** Address -> instance, for callers doing many look-ups. */
export function indexResources(state: State): Map<string, ResourceInstanceState> {
  const m = new Map<string, ResourceInstanceState>();
  for (const r of state.resources) m.set(r.address, r);
  return m;
}

/** The instance at exactly this address (canonical spelling accepted too). */
export function findResource(state: State, address: string): ResourceInstanceState | undefined {
  let found = state.resources.find((r) => r.address === address);
  if (!found) {
    let canon: string;
    try {
      canon = canonicalAddress(address);
    } catch {
      return undefined;
    }
    if (canon !== address) found = state.resources.find((r) => r.address === canon);
  }
  return found;
}

/** Adds or replaces the instance at `resource.address`, keeping the array sorted. */
export function putResource(state: State, resource: ResourceInstanceState): State {
  const list = state.resources;
  let existing = -1;
  let sorted = true;
  for (let i = 0; i < list.length; i++) {
    if (list[i].address === resource.address) existing = i;
    if (i > 0 && compareAddresses(list[i - 1].address, list[i].address) > 0) sorted = false;
  }
  const next = list.slice();
  if (existing >= 0) {
    next[existing] = resource;
  } else if (sorted) {
    let lo = 0;
    let hi = next.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAddresses(next[mid].address, resource.address) < 0) lo = mid + 1;
      else hi = mid;
    }
    next.splice(lo, 0, resource);
  } else {
    next.push(resource);
    next.sort((a, b) => compareAddresses(a.address, b.address));
  }
  return { ...state, resources: next };
}

function parsedResources(state: State): { r: ResourceInstanceState; p: ParsedAddress | undefined }[] {
  return state.resources.map((r) => {
    try {
      return { r, p: parseAddress(r.address) };
    } catch {
      return { r, p: undefined }; // an address we cannot parse only matches itself exactly
    }
  });
}

/** Candidate names for "did you mean": instances, their resources and enclosing modules. */
function addressCandidates(state: State): Set<string> {
  const out = new Set<string>();
  for (const { r, p } of parsedResources(state)) {
    out.add(r.address);
    if (!p) continue;
    if (p.resource?.key !== undefined) out.add(formatAddress({ modules: p.modules, resource: { ...p.resource, key: undefined } }));
    for (let i = 1; i <= p.modules.length; i++) {
      out.add(formatAddress({ modules: p.modules.slice(0, i) }));
      if (p.modules[i - 1].key !== undefined) {
        out.add(formatAddress({ modules: [...p.modules.slice(0, i - 1), { name: p.modules[i - 1].name }] }));
      }
    }
  }
  return out;
}

function noMatch(state: State, address: string): StateError {
  const hint = nearestName(address, addressCandidates(state));
  return new StateError(`no resource in the state matches ${address}` + (hint ? `; did you mean ${hint}?` : ''));
}

/**
 * Addresses of the instances matching any of `filter` (instance, resource = all its instances, or
 * module = everything inside it); all addresses without a filter. Sorted.
 */
export function listAddresses(state: State, filter?: string | string[]): string[] {
  const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
  let out: string[];
  if (filters.length === 0) {
    out = state.resources.map((r) => r.address);
  } else {
    const pats = filters.map((f) => parseAddress(f));
    out = [];
    for (const { r, p } of parsedResources(state)) {
      if (p ? pats.some((q) => matches(p, q, true)) : filters.includes(r.address)) out.push(r.address);
    }
  }
  return out.sort(compareAddresses);
}

/**
 * Removes the instances matching `address` (instance, resource or module, as in listAddresses).
 * Returns the new state and what was removed; `removed` is empty when nothing matched.
 */
export function removeResource(state: State, address: string): { state: State; removed: string[] } {
  const gone = new Set(listAddresses(state, address));
  if (gone.size === 0) return { state, removed: [] };
  return {
    state: { ...state, resources: state.resources.filter((r) => !gone.has(r.address)) },
    removed: [...gone],
  };
}

export interface MoveResult {
  state: State;
  moved: { from: string; to: string }[];
}

/**
 * Moves instances to new addresses, as `poolform state mv` does:
 *  - instance to instance: `a.b[0]` -> `a.c["x"]` (or keyless either side);
 *  - whole resource: `a.b` -> `a.c` moves every instance, keeping keys;
 *  - module: `module.x` -> `module.y` (every instance, keys kept), `module.x["k"]` -> `module.y`.
 * Resource moves keep mode and type. Dependencies recorded on any instance are rewritten too, so
 * destroy order survives the move. Throws StateError when nothing matches or a target exists.
 */
export function moveResource(state: State, from: string, to: string): MoveResult {
  const f = parseAddress(from);
  const t = parseAddress(to);
  if (!!f.resource !== !!t.resource) {
    throw new StateError(
      f.resource
        ? `cannot move resource ${from} to ${to}: the destination is a module address, not a resource`
        : `cannot move module ${from} to ${to}: the destination is a resource address, not a module`,
    );
  }
  if (f.resource && t.resource && (f.resource.mode !== t.resource.mode || f.resource.type !== t.resource.type)) {
    const kind = (r: NonNullable<ParsedAddress['resource']>) => `${r.mode === 'data' ? 'data ' : ''}${r.type}`;
    throw new StateError(
      `cannot move ${from} to ${to}: resource types differ (${kind(f.resource)} vs ${kind(t.resource)})`,
    );
  }
  // Both last steps keyless: every instance moves and keeps its key. Otherwise an exact move.
  const carryKey = lastKey(f) === undefined && lastKey(t) === undefined;

  const parsed = parsedResources(state);
  const moved: { from: string; to: string }[] = [];
  const newAddress = new Map<ResourceInstanceState, string>();
  for (const { r, p } of parsed) {
    if (!p || !matches(p, f, carryKey)) continue;
    const dest = formatAddress(remap(p, f, t, carryKey));
    newAddress.set(r, dest);
    moved.push({ from: r.address, to: dest });
  }
  if (moved.length === 0) throw noMatch(state, from);

  const taken = new Set<string>();
  for (const r of state.resources) if (!newAddress.has(r)) taken.add(r.address);
  for (const m of moved) {
    if (taken.has(m.to)) throw new StateError(`cannot move ${m.from} to ${m.to}: ${m.to} already exists in the state`);
    taken.add(m.to);
  }

  // Dependencies are recorded without instance keys; rewrite those naming what moved.
  const depCache = new Map<string, string>();
  const mapDep = (d: string): string => {
    let out = depCache.get(d);
    if (out === undefined) {
      out = d;
      try {
        const p = parseAddress(d);
        if (matches(p, f, carryKey)) {
          const q = remap(p, f, t, carryKey);
          if (q.resource) q.resource = { ...q.resource, key: undefined };
          out = formatAddress(q);
        }
      } catch {
        // not an address we understand: leave it
      }
      depCache.set(d, out);
    }
    return out;
  };

  const resources = state.resources.map((r) => {
    const addr = newAddress.get(r);
    let deps = r.dependencies;
    let changed = false;
    for (let i = 0; i < deps.length; i++) {
      const nd = mapDep(deps[i]);
      if (nd !== deps[i]) {
        if (!changed) deps = deps.slice();
        changed = true;
        deps[i] = nd;
      }
    }
    if (addr === undefined && !changed) return r;
    return { ...r, address: addr ?? r.address, dependencies: deps };
  });
  resources.sort((a, b) => compareAddresses(a.address, b.address));
  moved.sort((a, b) => compareAddresses(a.from, b.from));
  return { state: { ...state, resources }, moved };
}
