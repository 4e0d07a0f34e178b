// Date and time functions on RFC 3339 timestamps. Parsing is hand-written to give Terraform's
// error messages and to keep nanosecond fractions and the original UTC offset (JS Date keeps
// neither); calendar arithmetic uses the days-from-civil algorithm so years 0001..9999+ work.
// timestamp() is unknown until apply, as in Terraform; plantimestamp() is the time of the plan.

import type { FunctionDef } from './types.js';
import { Unknown } from '../value.js';
import type { Value } from '../value.js';
import { argError, callError, str, toStr } from './args.js';

export interface Timestamp {
  /** Seconds since the Unix epoch (UTC). */
  secs: number;
  /** Nanoseconds within the second, 0..999999999. */
  nanos: number;
  /** Offset from UTC in minutes, as written. */
  offset: number;
}

class TimeSyntaxError extends Error {}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function parseTimestamp(s: string): Timestamp {
  let i = 0;
  const rest = () => JSON.stringify(s.slice(i));
  const digits = (n: number, what: string): number => {
    const t = s.slice(i, i + n);
    if (t.length !== n || !/^[0-9]+$/.test(t)) throw new TimeSyntaxError(`cannot use ${rest()} as ${what}`);
    i += n;
    return Number(t);
  };
  const literal = (c: string) => {
    if (s[i] !== c) throw new TimeSyntaxError(`found ${rest()} where ${JSON.stringify(c)} is expected`);
    i++;
  };
  const year = digits(4, 'year');
  literal('-');
  const month = digits(2, 'month');
  if (month < 1 || month > 12) throw new TimeSyntaxError(`cannot use ${rest()} as month`);
  literal('-');
  const day = digits(2, 'day of month');
  if (s[i] !== 'T') throw new TimeSyntaxError("missing required time introducer 'T'");
  i++;
  // The hour may have one digit, as Go's parser allows.
  const hm = /^[0-9]{1,2}/.exec(s.slice(i));
  if (!hm) throw new TimeSyntaxError(`cannot use ${rest()} as hour`);
  i += hm[0].length;
  const hour = Number(hm[0]);
  if (hour > 23) throw new TimeSyntaxError('hour must be between 0 and 23 inclusive');
  literal(':');
  const minute = digits(2, 'minute');
  if (minute > 59) throw new TimeSyntaxError(`cannot use ${rest()} as minute`);
  literal(':');
  const second = digits(2, 'second');
  if (second > 59) throw new TimeSyntaxError(`cannot use ${rest()} as second`);
  let nanos = 0;
  if (s[i] === '.' && /[0-9]/.test(s[i + 1] ?? '')) {
    const f = /^[0-9]+/.exec(s.slice(i + 1))![0];
    nanos = Number(f.slice(0, 9).padEnd(9, '0'));
    i += 1 + f.length;
  }
  let offset = 0;
  if (i >= s.length) throw new TimeSyntaxError('end of string before UTC offset');
  if (s[i] === 'Z') i++;
  else {
    const m = /^([+-])([0-9]{2}):([0-9]{2})/.exec(s.slice(i));
    if (!m || Number(m[2]) > 24 || Number(m[3]) > 59) throw new TimeSyntaxError(`cannot use ${rest()} as UTC offset`);
    offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    i += 6;
  }
  if (i < s.length) throw new TimeSyntaxError(`cannot use ${rest()} as timestamp segment`);
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > dim) throw new TimeSyntaxError('day out of range');
  const secs = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset * 60;
  return { secs, nanos, offset };
}

function timestampArg(v: Value, arg: number, param: string, asCallError = false): Timestamp {
  const s = toStr(v, arg, param);
  try {
    return parseTimestamp(s);
  } catch (e) {
    if (!(e instanceof TimeSyntaxError)) throw e;
    const msg = `not a valid RFC3339 timestamp: ${e.message}`;
    throw asCallError ? callError(msg) : argError(arg, param, msg);
  }
}

interface Fields {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  ss: number;
  weekday: number; // 0 = Sunday
}

function localFields(t: Timestamp): Fields {
  const local = t.secs + t.offset * 60;
  const days = Math.floor(local / 86400);
  const sod = local - days * 86400;
  const { y, m, d } = civilFromDays(days);
  return { y, m, d, hh: Math.floor(sod / 3600), mm: Math.floor((sod % 3600) / 60), ss: sod % 60, weekday: (((days + 4) % 7) + 7) % 7 };
}

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));
const pad4 = (n: number) => String(n).padStart(4, '0');
/** A numeric field written with one letter ("D": 2) or two ("DD": 02); undefined for other lengths. */
const oneOrTwoDigits = (len: number, n: number) => (len === 2 ? pad2(n) : len === 1 ? String(n) : undefined);

function offsetText(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return sign + pad2(Math.floor(a / 60)) + (colon ? ':' : '') + pad2(a % 60);
}

export function formatRfc3339(t: Timestamp): string {
  const f = localFields(t);
  const zone = t.offset === 0 ? 'Z' : offsetText(t.offset, true);
  return `${pad4(f.y)}-${pad2(f.m)}-${pad2(f.d)}T${pad2(f.hh)}:${pad2(f.mm)}:${pad2(f.ss)}${zone}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

class FormatSpecError extends Error {}

function formatDate(spec: string, t: Timestamp): string {
  const f = localFields(t);
  let out = '';
  let i = 0;
  const n = spec.length;
  while (i < n) {
    const c = spec[i];
    if (c === "'") {
      if (spec[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      i++;
      for (;;) {
        if (i >= n) throw new FormatSpecError("unterminated literal '");
        if (spec[i] === "'") {
          if (spec[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += spec[i++];
      }
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    while (j < n && spec[j] === c) j++;
    const tok = spec.slice(i, j);
    const len = j - i;
    i = j;
    const h12 = f.hh % 12 === 0 ? 12 : f.hh % 12;
    // Each verb's text, or undefined with `why` when this many letters is not a valid verb.
    let text: string | undefined;
    let why = '';
    switch (c) {
      case 'Y':
        text = len === 4 ? pad4(f.y) : len === 2 ? pad2(f.y % 100) : undefined;
        why = 'year must either be "YY" or "YYYY"';
        break;
      case 'M':
        text = len === 4 ? MONTHS[f.m - 1] : len === 3 ? MONTHS[f.m - 1].slice(0, 3) : oneOrTwoDigits(len, f.m);
        why = 'month must be "M", "MM", "MMM", or "MMMM"';
        break;
      case 'D':
        text = oneOrTwoDigits(len, f.d);
        why = 'day of month must either be "D" or "DD"';
        break;
      case 'E':
        text = len === 4 ? DAYS[f.weekday] : len === 3 ? DAYS[f.weekday].slice(0, 3) : undefined;
        why = 'day of week must either be "EEE" or "EEEE"';
        break;
      case 'h':
        text = oneOrTwoDigits(len, f.hh);
        why = '24-hour must either be "h" or "hh"';
        break;
      case 'H':
        text = oneOrTwoDigits(len, h12);
        why = '12-hour must either be "H" or "HH"';
        break;
      case 'A':
      case 'a':
        if (len === 2) text = c === 'A' ? (f.hh < 12 ? 'AM' : 'PM') : f.hh < 12 ? 'am' : 'pm';
        why = `must be "${c}${c}"`;
        break;
      case 'm':
        text = oneOrTwoDigits(len, f.mm);
        why = 'minute must either be "m" or "mm"';
        break;
      case 's':
        text = oneOrTwoDigits(len, f.ss);
        why = 'second must either be "s" or "ss"';
        break;
      case 'Z':
        if (len === 1) text = t.offset === 0 ? 'Z' : offsetText(t.offset, true);
        else if (len === 3) text = t.offset === 0 ? 'UTC' : offsetText(t.offset, false);
        else if (len === 4) text = offsetText(t.offset, false);
        else if (len === 5) text = offsetText(t.offset, true);
        why = 'timezone must be Z, ZZZZ, or ZZZZZ';
        break;
    }
    if (text === undefined) throw new FormatSpecError(`invalid date format verb ${JSON.stringify(tok)}${why ? ': ' + why : ''}`);
    out += text;
  }
  return out;
}

// Go's time.ParseDuration, in nanoseconds.
const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  '\u00b5s': 1000n,
  '\u03bcs': 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};
const MAX_DURATION = (1n << 63n) - 1n;

export function parseDuration(orig: string): bigint {
  const invalid = () => callError(`time: invalid duration ${JSON.stringify(orig)}`);
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const intPart = m[1];
    const frac = m[2];
    if (intPart === '' && (frac === undefined || frac === '')) throw invalid();
    s = s.slice(m[0].length);
    const u = /^[^0-9.]*/.exec(s)![0];
    if (u === '') throw callError(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unit = UNITS[u];
    if (unit === undefined) throw callError(`time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`);
    s = s.slice(u.length);
    let v = BigInt(intPart || '0') * unit;
    if (frac) v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_DURATION) throw invalid();
  }
  return neg ? -total : total;
}

function totalNanos(t: Timestamp): bigint {
  return BigInt(t.secs) * 1000000000n + BigInt(t.nanos);
}

export const DATETIME_FUNCTIONS: Record<string, FunctionDef> = {
  formatdate: {
    params: [str('format'), str('time')],
    impl: ([specV, timeV]) => {
      const spec = toStr(specV, 0, 'format');
      const t = timestampArg(timeV, 1, 'time');
      try {
        return formatDate(spec, t);
      } catch (e) {
        if (e instanceof FormatSpecError) throw argError(0, 'format', e.message);
        throw e;
      }
    },
  },
  timeadd: {
    params: [str('timestamp'), str('duration')],
    impl: ([tsV, durV]) => {
      const t = timestampArg(tsV, 0, 'timestamp', true);
      const d = parseDuration(toStr(durV, 1, 'duration'));
      const total = totalNanos(t) + d;
      let secs = total / 1000000000n;
      let nanos = total % 1000000000n;
      if (nanos < 0n) {
        nanos += 1000000000n;
        secs -= 1n;
      }
      return formatRfc3339({ secs: Number(secs), nanos: Number(nanos), offset: t.offset });
    },
  },
  timecmp: {
    params: [str('timestamp_a'), str('timestamp_b')],
    impl: ([aV, bV]) => {
      const a = totalNanos(timestampArg(aV, 0, 'timestamp_a'));
      const b = totalNanos(timestampArg(bV, 1, 'timestamp_b'));
      return a < b ? -1 : a > b ? 1 : 0;
    },
  },
  // The time of the apply, which is not known while planning.
  timestamp: { params: [], impl: () => new Unknown('string') },
  // The time the plan was made: known during the plan, unlike timestamp().
  plantimestamp: {
    params: [],
    impl: () => {
      const ms = Date.now();
      return formatRfc3339({ secs: Math.floor(ms / 1000), nanos: 0, offset: 0 });
    },
  },
};
