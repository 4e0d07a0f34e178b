// Filesystem functions. Relative paths resolve against the configuration directory
// (ctx.baseDir), as Terraform resolves them against the module; abspath() uses the process
// working directory, as Terraform does. fileset() has its own glob matcher (no glob library is a
// dependency) with the doublestar rules Terraform uses: `*` and `?` stay inside one path
// segment, a `**` segment spans any number of directories, `[...]` classes (negated with `^`
// only), `{a,b}` alternatives within one segment; only regular files are returned, sorted,
// relative to the given path.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import * as posix from 'node:path/posix';
import * as path from 'node:path';
import type { FunctionContext, FunctionDef } from './types.js';
import { isObject } from '../value.js';
import { compareStrings } from '../convert.js';
import { any, argError, callError, str, toStr } from './args.js';
import { decodeUtf8 } from './encoding.js';

const p = str('path');

export function pathExpand(s: string): string {
  if (s === '' || s[0] !== '~') return s;
  if (s.length > 1 && s[1] !== '/' && s[1] !== '\\') throw callError('cannot expand user-specific home dir');
  return homedir() + s.slice(1);
}

/** Go's path.Clean for slash-separated paths. */
function clean(s: string): string {
  if (s === '') return '.';
  const n = posix.normalize(s);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function goBase(s: string): string {
  if (s === '') return '.';
  let e = s.length;
  while (e > 0 && s[e - 1] === '/') e--;
  if (e === 0) return '/';
  const t = s.slice(0, e);
  return t.slice(t.lastIndexOf('/') + 1);
}

function goDir(s: string): string {
  return clean(s.slice(0, s.lastIndexOf('/') + 1));
}

function resolvePath(ctx: FunctionContext, given: string): string {
  return path.resolve(ctx.baseDir, pathExpand(given));
}

// Repeated reads of one file (a template used by thousands of instances) come from memory while
// the file's size and modification time are unchanged.
const readCache = new Map<string, { mtimeMs: number; size: number; data: Buffer }>();

/**
 * The file's bytes. file(), filebase64() and templatefile() complain about the path argument;
 * the hashing functions (`plain`) report the bare operating-system error, as Terraform does.
 */
function readBytes(ctx: FunctionContext, given: string, plain = false): Buffer {
  const abs = resolvePath(ctx, given);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (plain) throw callError(code === 'ENOENT' || code === 'ENOTDIR' ? `open ${given}: no such file or directory` : (e as Error).message);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw argError(
        0,
        'path',
        `no file exists at ${JSON.stringify(given)}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource`,
      );
    }
    throw argError(0, 'path', `failed to read file: ${(e as Error).message}`);
  }
  if (st.isDirectory()) {
    if (plain) throw callError(`read ${given}: is a directory`);
    throw argError(0, 'path', `failed to read file: read ${given}: is a directory`);
  }
  const hit = readCache.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.data;
  let data: Buffer;
  try {
    data = readFileSync(abs);
  } catch (e) {
    throw argError(0, 'path', `failed to read file: ${(e as Error).message}`);
  }
  if (readCache.size > 256) readCache.clear();
  readCache.set(abs, { mtimeMs: st.mtimeMs, size: st.size, data });
  return data;
}

function readText(ctx: FunctionContext, given: string): string {
  const text = decodeUtf8(readBytes(ctx, given));
  if (text === undefined) {
    throw callError(
      `contents of ${JSON.stringify(given)} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead`,
    );
  }
  return text;
}

function fileHash(algorithm: string, encoding: 'hex' | 'base64'): FunctionDef {
  return {
    params: [p],
    impl: ([given], ctx) => createHash(algorithm).update(readBytes(ctx, toStr(given, 0, 'path'), true)).digest(encoding),
  };
}

// ---------------------------------------------------------------------------------------------
// Globbing

class GlobSyntaxError extends Error {}

/** Expand `{a,b}` alternatives (nested allowed) into plain patterns. */
function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new GlobSyntaxError();
      i = close;
      continue;
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(open + 1, i);
        const alts: string[] = [];
        let d = 0;
        let start = 0;
        for (let j = 0; j < inner.length; j++) {
          const ch = inner[j];
          if (ch === '\\') j++;
          else if (ch === '{') d++;
          else if (ch === '}') d--;
          else if (ch === '/') throw new GlobSyntaxError(); // alternatives stay within one segment
          else if (ch === ',' && d === 0) {
            alts.push(inner.slice(start, j));
            start = j + 1;
          }
        }
        alts.push(inner.slice(start));
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        const out: string[] = [];
        for (const a of alts) for (const e of expandBraces(head + a + tail)) out.push(e);
        return out;
      }
    }
  }
  if (depth > 0) throw new GlobSyntaxError();
  return [pattern];
}

type Segment = { kind: 'globstar' } | { kind: 'literal'; text: string } | { kind: 'match'; re: RegExp };

function compileSegment(seg: string): Segment {
  if (seg === '**') return { kind: 'globstar' };
  if (!/[*?[\\]/.test(seg)) return { kind: 'literal', text: seg };
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= seg.length) throw new GlobSyntaxError();
      re += escapeRe(seg[++i]);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (seg[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      for (;;) {
        if (j >= seg.length) throw new GlobSyntaxError();
        const ch = seg[j];
        if (ch === ']' && !first) break;
        first = false;
        if (ch === '\\') {
          if (j + 1 >= seg.length) throw new GlobSyntaxError();
          cls += escapeRe(seg[j + 1], true);
          j += 2;
          continue;
        }
        cls += ch === '[' || ch === '^' || ch === ']' ? '\\' + ch : ch;
        j++;
      }
      re += cls + ']';
      i = j;
    } else re += escapeRe(c);
  }
  try {
    return { kind: 'match', re: new RegExp(re + '$', 'u') };
  } catch {
    throw new GlobSyntaxError();
  }
}

function escapeRe(c: string, inClass = false): string {
  return (inClass ? /[\\^[\]-]/ : /[\\^$.*+?()[\]{}|/]/).test(c) ? '\\' + c : c;
}

function statOrNull(abs: string): Stats | null {
  try {
    return statSync(abs);
  } catch {
    return null;
  }
}

function listDir(abs: string): string[] {
  try {
    return readdirSync(abs);
  } catch {
    return [];
  }
}

/** Files under `root` matching the segments; results relative to root with forward slashes. */
function glob(root: string, segments: Segment[], found: Set<string>): void {
  const seen = new Set<string>();
  const stack: { abs: string; rel: string; si: number }[] = [{ abs: root, rel: '', si: 0 }];
  const join = (rel: string, name: string) => (rel ? rel + '/' + name : name);
  while (stack.length) {
    const { abs, rel, si } = stack.pop()!;
    const key = si + '\0' + rel;
    if (seen.has(key)) continue;
    seen.add(key);
    const seg = segments[si];
    const last = si === segments.length - 1;
    if (seg.kind === 'globstar') {
      if (!last) stack.push({ abs, rel, si: si + 1 });
      for (const name of listDir(abs)) {
        const child = path.join(abs, name);
        const st = statOrNull(child);
        if (!st) continue;
        if (st.isDirectory()) stack.push({ abs: child, rel: join(rel, name), si });
        else if (last && st.isFile()) found.add(join(rel, name));
      }
      continue;
    }
    const names = seg.kind === 'literal' ? [seg.text] : listDir(abs).filter((n) => seg.re.test(n));
    for (const name of names) {
      const child = path.join(abs, name);
      const st = statOrNull(child);
      if (!st) continue;
      if (last) {
        if (st.isFile()) found.add(join(rel, name));
      } else if (st.isDirectory()) stack.push({ abs: child, rel: join(rel, name), si: si + 1 });
    }
  }
}

// ---------------------------------------------------------------------------------------------

export const FILESYSTEM_FUNCTIONS: Record<string, FunctionDef> = {
  abspath: {
    params: [p],
    impl: ([given]) => path.resolve(toStr(given, 0, 'path')),
  },
  basename: { params: [p], impl: ([given]) => goBase(toStr(given, 0, 'path')) },
  dirname: { params: [p], impl: ([given]) => goDir(toStr(given, 0, 'path')) },
  pathexpand: { params: [p], impl: ([given]) => pathExpand(toStr(given, 0, 'path')) },
  file: { params: [p], impl: ([given], ctx) => readText(ctx, toStr(given, 0, 'path')) },
  filebase64: {
    params: [p],
    impl: ([given], ctx) => readBytes(ctx, toStr(given, 0, 'path')).toString('base64'),
  },
  fileexists: {
    params: [p],
    impl: ([given], ctx) => {
      const g = toStr(given, 0, 'path');
      let st: Stats;
      try {
        st = statSync(resolvePath(ctx, g));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return false;
        throw callError(`failed to stat ${JSON.stringify(g)}: ${(e as Error).message}`);
      }
      if (st.isDirectory()) throw callError(`${JSON.stringify(g)} is a directory, not a file`);
      return true;
    },
  },
  fileset: {
    params: [p, str('pattern')],
    impl: ([givenV, patternV], ctx) => {
      const given = toStr(givenV, 0, 'path');
      const pattern = toStr(patternV, 1, 'pattern');
      const root = resolvePath(ctx, given);
      const found = new Set<string>();
      try {
        for (const alt of expandBraces(pattern)) {
          const segs = alt.split('/').filter((s, _i, all) => s !== '' && !(s === '.' && all.length > 1));
          if (segs.length === 0) continue;
          glob(root, segs.map(compileSegment), found);
        }
      } catch (e) {
        if (e instanceof GlobSyntaxError) {
          throw callError(`failed to glob pattern ${JSON.stringify(posix.join(given, pattern))}: syntax error in pattern`);
        }
        throw e;
      }
      return [...found].sort(compareStrings);
    },
  },
  templatefile: {
    params: [p, any('vars')],
    impl: ([givenV, vars], ctx) => {
      const given = toStr(givenV, 0, 'path');
      if (!isObject(vars)) throw argError(1, 'vars', 'invalid vars value: must be a map');
      const text = readText(ctx, given);
      const abs = resolvePath(ctx, given);
      const rel = path.relative(process.cwd(), abs);
      const filename = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
      return ctx.renderTemplate(text, filename, vars);
    },
  },
  filemd5: fileHash('md5', 'hex'),
  filesha1: fileHash('sha1', 'hex'),
  filesha256: fileHash('sha256', 'hex'),
  filesha512: fileHash('sha512', 'hex'),
  filebase64sha256: fileHash('sha256', 'base64'),
  filebase64sha512: fileHash('sha512', 'base64'),
};

