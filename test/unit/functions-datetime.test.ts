// Date and time functions: RFC 3339 parsing with Terraform's errors, formatdate verbs,
// Go-style durations, and the plan-time behaviour of timestamp() and plantimestamp().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, callUnknown, failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const bad = (param: string, reason: string, arg: number) => invalid(param, `not a valid RFC3339 timestamp: ${reason}.`, arg);

const cases: Case[] = [
  ['formatdate', ['DD MMM YYYY hh:mm ZZZ', '2018-01-02T23:12:01Z'], '02 Jan 2018 23:12 UTC'],
  ['formatdate', ['EEEE, DD-MMM-YY hh:mm:ss ZZZ', '2018-01-02T23:12:01-08:00'], 'Tuesday, 02-Jan-18 23:12:01 -0800'],
  ['formatdate', ['MMM DD, YYYY', '2018-01-02T23:12:01Z'], 'Jan 02, 2018'],
  ['formatdate', ['HH:mm AA aa h H M D YY Z ZZZZ ZZZZZ', '2018-01-02T03:04:05+05:30'], '03:04 AM am 3 3 1 2 18 +05:30 +0530 +05:30'],
  ['formatdate', ["'quoted' ''h", '2018-01-02T13:04:05Z'], "quoted '13"],
  ['formatdate', ['ZZZ|Z|ZZZZ', '2018-01-02T03:04:05+00:00'], 'UTC|Z|+0000'],
  ['formatdate', ['MMMM EEEE H AA', '2024-02-29T00:30:00Z'], 'February Thursday 12 AM'],
  ['formatdate', ['YYYY-MM-DD', '0001-01-01T00:00:00Z'], '0001-01-01'],
  ['formatdate', ['h:mm:ss.SSS', '2018-01-02T13:04:05.123Z'], invalid('format', 'invalid date format verb "SSS".', 0)],
  ['formatdate', ['YYYYY', '2018-01-02T13:04:05Z'], invalid('format', 'invalid date format verb "YYYYY": year must either be "YY" or "YYYY".', 0)],
  ['formatdate', ['MMMMM', '2018-01-02T13:04:05Z'], invalid('format', 'invalid date format verb "MMMMM": month must be "M", "MM", "MMM", or "MMMM".', 0)],
  ['formatdate', ['hhh', '2018-01-02T13:04:05Z'], invalid('format', 'invalid date format verb "hhh": 24-hour must either be "h" or "hh".', 0)],
  ['formatdate', ['A', '2018-01-02T13:04:05Z'], invalid('format', 'invalid date format verb "A": must be "AA".', 0)],
  ['formatdate', ['ZZ', '2018-01-02T13:04:05Z'], invalid('format', 'invalid date format verb "ZZ": timezone must be Z, ZZZZ, or ZZZZZ.', 0)],
  ['formatdate', ["'unterminated", '2018-01-02T13:04:05Z'], invalid('format', "unterminated literal '.", 0)],
  ['formatdate', ['x', '2018-01-02'], bad('time', "missing required time introducer 'T'", 1)],
  ['formatdate', ['YYYY', '2018-13-02T13:04:05Z'], bad('time', 'cannot use "-02T13:04:05Z" as month', 1)],
  ['formatdate', ['YYYY', '2018-01-02t13:04:05z'], bad('time', "missing required time introducer 'T'", 1)],
  ['formatdate', ['YYYY', '2018-01-02T03:04:05'], bad('time', 'end of string before UTC offset', 1)],
  ['formatdate', ['YYYY', '2018-01-02T03:04:05+0100'], bad('time', 'cannot use "+0100" as UTC offset', 1)],
  ['formatdate', ['YYYY', '18-01-02T03:04:05Z'], bad('time', 'cannot use "18-01-02T03:04:05Z" as year', 1)],
  ['formatdate', ['YYYY', '2018-02-30T03:04:05Z'], bad('time', 'day out of range', 1)],
  ['formatdate', ['YYYY', '2018-01-02T25:04:05Z'], bad('time', 'hour must be between 0 and 23 inclusive', 1)],
  ['formatdate', ['YYYY', '2018-01-02T03:04:05.Z'], bad('time', 'cannot use ".Z" as UTC offset', 1)],
  ['formatdate', ['YYYY', '2018/01/02T00:00:00Z'], bad('time', 'found "/01/02T00:00:00Z" where "-" is expected', 1)],
  ['formatdate', ['YYYY', '2018-01-2T00:00:00Z'], bad('time', 'cannot use "2T00:00:00Z" as day of month', 1)],
  ['formatdate', ['YYYY', '2018-01-02T03:60:05Z'], bad('time', 'cannot use ":05Z" as minute', 1)],
  ['formatdate', ['YYYY', '2018-01-02T03:04:05Zx'], bad('time', 'cannot use "x" as timestamp segment', 1)],

  ['timeadd', ['2017-11-22T00:00:00Z', '10m'], '2017-11-22T00:10:00Z'],
  ['timeadd', ['2017-11-22T00:00:00.5+01:00', '-1.5h'], '2017-11-21T22:30:00+01:00'],
  ['timeadd', ['2017-11-22T00:00:00Z', '1h30m10s500ms'], '2017-11-22T01:30:10Z'],
  ['timeadd', ['2017-11-22T00:00:00Z', '0'], '2017-11-22T00:00:00Z'],
  ['timeadd', ['2017-11-22T00:00:00Z', '+.5h'], '2017-11-22T00:30:00Z'],
  ['timeadd', ['2017-11-22T00:00:00+00:00', '1us'], '2017-11-22T00:00:00Z'],
  ['timeadd', ['2018-01-02T03:04:05.999Z', '1ns'], '2018-01-02T03:04:05Z'],
  ['timeadd', ['2018-01-02T03:04:05.999999999Z', '1ns'], '2018-01-02T03:04:06Z'],
  ['timeadd', ['2024-02-28T23:00:00Z', '2h'], '2024-02-29T01:00:00Z'],
  ['timeadd', ['9999-12-31T23:00:00Z', '2h'], '10000-01-01T01:00:00Z'],
  ['timeadd', ['2017-11-22T00:00:00Z', '1d'], failed('timeadd', 'time: unknown unit "d" in duration "1d".')],
  ['timeadd', ['2017-11-22T00:00:00Z', 'x'], failed('timeadd', 'time: invalid duration "x".')],
  ['timeadd', ['2017-11-22T00:00:00Z', '1'], failed('timeadd', 'time: missing unit in duration "1".')],
  ['timeadd', ['2017-11-22T00:00:00Z', ''], failed('timeadd', 'time: invalid duration "".')],
  ['timeadd', ['2018-01-02T03:04:05Z', '-2h-3m'], failed('timeadd', 'time: unknown unit "h-" in duration "-2h-3m".')],
  ['timeadd', ['bad', '1h'], failed('timeadd', 'not a valid RFC3339 timestamp: cannot use "bad" as year.')],

  ['timecmp', ['2017-11-22T00:00:00Z', '2017-11-22T01:00:00+01:00'], 0],
  ['timecmp', ['2017-11-22T00:00:00Z', '2017-11-22T00:00:01Z'], -1],
  ['timecmp', ['2018-01-02T03:04:05.5Z', '2018-01-02T03:04:05.25Z'], 1],
  ['timecmp', ['2018-01-02T03:04:05.123456789123Z', '2018-01-02T03:04:05.123456789Z'], 0],
  ['timecmp', ['2018-01-02T3:04:05Z', '2018-01-02T00:00:00Z'], 1],
  ['timecmp', ['2017-11-22T00:00:00Z', 'x'], bad('timestamp_b', 'cannot use "x" as year', 1)],
  ['timecmp', ['2018-01-00T03:04:05Z', '2018-01-02T00:00:00Z'], bad('timestamp_a', 'day out of range', 0)],
];

runCases('datetime', cases);

test('timestamp() is unknown while planning; plantimestamp() is the current time', () => {
  callUnknown('timestamp', [], 'string');
  const before = Math.floor(Date.now() / 1000) * 1000;
  const p = call('plantimestamp', []) as string;
  assert.match(p, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  const ms = Date.parse(p);
  assert.ok(ms >= before && ms <= Date.now(), p);
});
