// The state file on disk: atomic replacement (temp + fsync + rename + directory fsync), the
// `.backup` of the previous state, and reading with validation so a damaged or too-new file fails
// with a message a person can act on. The JSON Schema lives here as a TS const so the build has
// nothing extra to copy.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { STATE_FORMAT_VERSION, type State } from './types.js';
import { compareAddresses } from './address-order.js';
import { isIdentifier } from '../config/hcl/scanner.js';

/** A state problem fit to show a user as is (the CLI prints `.message`). */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** Schema of one resource instance; shared with the journal's `put` entries. */
export const RESOURCE_INSTANCE_SCHEMA = {
  type: 'object',
  required: ['address', 'mode', 'type', 'provider', 'id', 'attributes', 'dependencies'],
  properties: {
    address: { type: 'string', minLength: 1 },
    mode: { enum: ['managed', 'data'] },
    type: { type: 'string', minLength: 1 },
    provider: { type: 'string', minLength: 1 },
    id: { type: 'string' },
    attributes: { type: 'object' },
    sensitivePaths: { type: 'array', items: { type: 'array', items: { type: ['string', 'integer'] } } },
    dependencies: { type: 'array', items: { type: 'string' } },
    tainted: { type: 'boolean' },
    task: { type: 'string' },
  },
} as const;

export const OUTPUTS_SCHEMA = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['value', 'sensitive'],
    properties: { value: {}, sensitive: { type: 'boolean' } },
  },
} as const;

/** JSON Schema of poolform.state.json (format_version 1). Unknown extra fields are tolerated. */
export const STATE_SCHEMA = {
  type: 'object',
  required: ['format_version', 'poolform_version', 'serial', 'lineage', 'resources', 'outputs'],
  properties: {
    format_version: { type: 'integer', minimum: 1 },
    poolform_version: { type: 'string', minLength: 1 },
    serial: { type: 'integer', minimum: 0 },
    lineage: { type: 'string', minLength: 1 },
    resources: { type: 'array', items: RESOURCE_INSTANCE_SCHEMA },
    outputs: OUTPUTS_SCHEMA,
  },
} as const;

let ajv: Ajv | undefined;
let stateValidator: ValidateFunction | undefined;

/** One shared Ajv, created on first use so loading this module costs nothing. */
export function sharedAjv(): Ajv {
  return (ajv ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }));
}

function validateStateShape(data: unknown): ErrorObject[] | undefined {
  stateValidator ??= sharedAjv().compile(STATE_SCHEMA);
  return stateValidator(data) ? undefined : (stateValidator.errors ?? []);
}

/** "/resources/3/id" -> "resources[3].id" */
function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (isIdentifier(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Human lines for Ajv errors; names the resource address where the error is inside one. */
export function describeSchemaErrors(errors: ErrorObject[], data: unknown, max = 10): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let where = pointerToPath(e.instancePath);
    let what: string;
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      what = `missing required field "${missing}"`;
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
      what = `must be one of ${allowed.join(', ')}`;
    } else {
      what = e.message ?? e.keyword;
    }
    const m = /^\/resources\/(\d+)/.exec(e.instancePath);
    if (m) {
      const r = (data as { resources?: unknown[] }).resources?.[Number(m[1])] as { address?: unknown } | undefined;
      if (r && typeof r.address === 'string') where += ` (${r.address})`;
    }
    const line = where === '' ? what : `${where}: ${what}`;
    if (seen.has(line)) continue;
    seen.add(line);
    if (lines.length === max) {
      lines.push(`... and more`);
      break;
    }
    lines.push(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Versions

/**
 * Compares two semver strings (major.minor.patch[-pre][+build]); undefined if either is not one.
 * Hand-written: the whole need is this one comparison, not worth a dependency.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const re = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
  const ma = re.exec(a.trim());
  const mb = re.exec(b.trim());
  if (!ma || !mb) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === pb) return 0;
  if (pa === undefined) return 1; // a release is newer than its prereleases
  if (pb === undefined) return -1;
  const xa = pa.split('.');
  const xb = pb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb) {
      const d = Number(xa[i]) - Number(xb[i]);
      if (d !== 0) return Math.sign(d);
    } else if (na !== nb) {
      return na ? -1 : 1;
    } else if (xa[i] !== xb[i]) {
      return xa[i] < xb[i] ? -1 : 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// JSON syntax error location

/**
 * Offset of the first JSON syntax error in `s` (or -1 if none). Only used on the error path:
 * Node 20's JSON.parse does not always say where it failed ("Unexpected token ... is not valid
 * JSON" has no position), so this small scanner finds it. Iterative: no recursion on deep nesting.
 */
export function jsonErrorOffset(s: string): number {
  const n = s.length;
  const stack: number[] = []; // 0 = object, 1 = array
  type St = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'after' | 'end';
  let st: St = 'value';
  let i = 0;
  const afterValue = (): St => (stack.length === 0 ? 'end' : 'after');
  const scanString = (start: number): number => {
    // returns index after closing quote, or -(errorOffset + 1)
    let j = start + 1;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 0x22) return j + 1;
      if (c < 0x20) return -(j + 1);
      if (c === 0x5c) {
        const e = s[j + 1];
        if (e === undefined) return -(n + 1);
        if (e === 'u') {
          for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(s[j + k] ?? '')) return -(Math.min(j + k, n) + 1);
          j += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) return -(j + 2);
        j += 2;
        continue;
      }
      j++;
    }
    return -(n + 1);
  };
  const scanNumber = (start: number): number => {
    let j = start;
    if (s[j] === '-') j++;
    if (s[j] === '0') j++;
    else if (s[j] >= '1' && s[j] <= '9') while (s[j] >= '0' && s[j] <= '9') j++;
    else return -(j + 1);
    if (s[j] === '.') {
      j++;
      if (!(s[j] >= '0' && s[j] <= '9')) return -(j + 1);
      while (s[j] >= '0' && s[j] <= '9') j++;
    }
    if (s[j] === 'e' || s[j] === 'E') {
      j++;
      if (s[j] === '+' || s[j] === '-') j++;
      if (!(s[j] >= '0' && s[j] <= '9')) return -(j + 1);
      while (s[j] >= '0' && s[j] <= '9') j++;
    }
    return j;
  };
  for (;;) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= n) return st === 'end' ? -1 : n;
    const c = s[i];
    switch (st) {
      case 'end':
        return i;
      case 'colon':
        if (c !== ':') return i;
        i++;
        st = 'value';
        continue;
      case 'after': {
        const top = stack[stack.length - 1];
        if (c === ',') {
          st = top === 0 ? 'key' : 'value';
          i++;
        } else if ((c === '}' && top === 0) || (c === ']' && top === 1)) {
          stack.pop();
          i++;
          st = afterValue();
        } else return i;
        continue;
      }
      case 'keyOrClose':
      case 'key': {
        if (st === 'keyOrClose' && c === '}') {
          stack.pop();
          i++;
          st = afterValue();
          continue;
        }
        if (c !== '"') return i;
        const j = scanString(i);
        if (j < 0) return -j - 1;
        i = j;
        st = 'colon';
        continue;
      }
      case 'valueOrClose':
      case 'value': {
        if (st === 'valueOrClose' && c === ']') {
          stack.pop();
          i++;
          st = afterValue();
          continue;
        }
        if (c === '{') {
          stack.push(0);
          i++;
          st = 'keyOrClose';
          continue;
        }
        if (c === '[') {
          stack.push(1);
          i++;
          st = 'valueOrClose';
          continue;
        }
        let j: number;
        if (c === '"') j = scanString(i);
        else if (c === '-' || (c >= '0' && c <= '9')) j = scanNumber(i);
        else {
          const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : '';
          if (word === '') return i;
          for (let k = 0; k < word.length; k++) if (s[i + k] !== word[k]) return Math.min(i + k, n);
          j = i + word.length;
        }
        if (j < 0) return -j - 1;
        i = j;
        st = afterValue();
        continue;
      }
    }
  }
}

/** 1-based line and column (UTF-16 units) of a 0-based offset. */
export function lineCol(s: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = s.indexOf('\n'); i !== -1 && i < offset; i = s.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** Parses JSON; on failure throws a StateError "file:line:col: invalid JSON: reason". */
export function parseJsonText(text: string, file: string, what = 'invalid JSON'): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    let offset = -1;
    const m = /at position (\d+)/.exec(msg);
    if (m) offset = Number(m[1]);
    else if (/Unexpected end of JSON input/.test(msg)) offset = text.length;
    else offset = jsonErrorOffset(text);
    if (offset < 0) offset = 0;
    // Keep V8's reason but drop its position and its echo of the text.
    let reason = msg.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    if (reason === '') reason = 'syntax error';
    const { line, col } = lineCol(text, offset);
    throw new StateError(`${file}:${line}:${col}: ${what}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Checks a parsed state file: version first (a newer format may have another shape), then shape.
 * Without `ourVersion` (checking a state we are about to write) only the shape is checked.
 */
export function validateState(data: unknown, file: string, ourVersion?: string): State {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StateError(`${file}: not a poolform state file: expected a JSON object at the top level`);
  }
  const d = data as Record<string, unknown>;
  const upgrade = `Upgrade poolform to use this state.`;
  if (ourVersion !== undefined && typeof d.format_version === 'number' && d.format_version > STATE_FORMAT_VERSION) {
    const by = typeof d.poolform_version === 'string' ? ` ${d.poolform_version}` : '';
    throw new StateError(
      `${file} was written by a newer poolform${by} (state format ${d.format_version}; ` +
        `this poolform ${ourVersion} reads format ${STATE_FORMAT_VERSION}). ${upgrade}`,
    );
  }
  if (
    ourVersion !== undefined &&
    typeof d.poolform_version === 'string' &&
    (compareVersions(d.poolform_version, ourVersion) ?? 0) > 0
  ) {
    throw new StateError(
      `${file} was written by a newer poolform ${d.poolform_version} (this is poolform ${ourVersion}). ${upgrade}`,
    );
  }
  const errors = validateStateShape(data);
  if (errors) {
    const lines = describeSchemaErrors(errors, data);
    throw new StateError(`${file} is not a valid poolform state file:\n  ${lines.join('\n  ')}`);
  }
  const state = data as unknown as State;
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const r of state.resources) {
    if (seen.has(r.address)) dups.push(r.address);
    else seen.add(r.address);
  }
  if (dups.length > 0) {
    throw new StateError(
      `${file} is not a valid poolform state file: address listed more than once: ${dups.slice(0, 5).join(', ')}`,
    );
  }
  return state;
}

/** A file's text; undefined if it does not exist, a StateError if it cannot be read. */
export function readTextIfExists(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Reads and validates a state file; undefined if it does not exist. */
export function readStateFile(path: string, ourVersion: string): State | undefined {
  const text = readTextIfExists(path);
  return text === undefined ? undefined : validateState(parseJsonText(text, path), path, ourVersion);
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Stable text: fixed top-level key order, outputs by name, resources by address, one resource per
 * line. One line each keeps git diffs per resource and is about twice as fast as indenting
 * everything (50,000 resources must write in well under a second).
 */
export function serializeState(state: State): string {
  let resources = state.resources;
  for (let i = 1; i < resources.length; i++) {
    if (compareAddresses(resources[i - 1].address, resources[i].address) > 0) {
      resources = resources.slice().sort((a, b) => compareAddresses(a.address, b.address));
      break;
    }
  }
  const outputs: State['outputs'] = {};
  for (const k of Object.keys(state.outputs).sort()) outputs[k] = state.outputs[k];
  const { format_version, poolform_version, serial, lineage, resources: _r, outputs: _o, ...extra } = state;
  const head = JSON.stringify({ format_version, poolform_version, serial, lineage, ...extra, outputs }, null, 2);
  if (resources.length === 0) return head.slice(0, -2) + ',\n  "resources": []\n}\n';
  const parts: string[] = [head.slice(0, -2), ',\n  "resources": [\n    '];
  for (let i = 0; i < resources.length; i++) {
    if (i > 0) parts.push(',\n    ');
    parts.push(JSON.stringify(resources[i]));
  }
  parts.push('\n  ]\n}\n');
  return parts.join('');
}

/** fsync a directory so a rename/create/unlink in it survives a crash. Not possible everywhere. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function tempNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function tryUnlink(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Replaces `target` atomically: a temp file in the same directory (created with `mode`, and
 * chmod'ed so the umask cannot widen or narrow it), fsync'ed, renamed over the target, then the
 * directory fsync'ed. A crash leaves either the old or the new file, never a mix.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = tempNameFor(target);
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.fchmodSync(fd, mode);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    tryUnlink(tmp);
    throw new StateError(`cannot write ${target}: ${(err as Error).message}`);
  }
  fsyncDir(dirname(target));
}

/**
 * Makes `backup` hold the current content of `target` (if any), mode 0600. A hard link costs
 * nothing for big states; where links are not supported the file is copied. Either way the
 * backup is swapped in by rename, so it is always a whole previous state.
 */
export function keepBackup(target: string, backup: string): void {
  if (!fs.existsSync(target)) return;
  const tmp = tempNameFor(backup);
  try {
    try {
      fs.linkSync(target, tmp);
    } catch {
      fs.copyFileSync(target, tmp);
      const fd = fs.openSync(tmp, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, backup);
  } catch (err) {
    tryUnlink(tmp);
    throw new StateError(`cannot keep a backup of ${target} as ${backup}: ${(err as Error).message}`);
  }
}

/** Validates (so we never write what we would refuse to read), backs up, and replaces the file. */
export function writeStateFile(path: string, backupPath: string, state: State): void {
  validateState(state, `the state to be written to ${path}`);
  const text = serializeState(state);
  keepBackup(path, backupPath);
  writeFileAtomic(path, text, 0o600);
}
