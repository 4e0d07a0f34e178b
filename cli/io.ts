// Output helpers shared by the commands: colour choice, diagnostics, confirmation.

import * as readline from 'node:readline';
import type { Diagnostic } from '../engine/diagnostics.js';
import { renderDiagnostics } from '../engine/render/diagnostics.js';

export function useColor(flags: Record<string, unknown>, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flags['no-color']) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR) return true;
  return !!stream.isTTY;
}

/** Prints every diagnostic (errors and warnings) to stderr; true when there were errors. */
export function printDiagnostics(list: Diagnostic[], sources: Map<string, string>, color: boolean): boolean {
  if (list.length) process.stderr.write(renderDiagnostics(list, sources, { color: color && !!process.stderr.isTTY }) + '\n');
  return list.some((d) => d.severity === 'error');
}

/** Asks for 'yes'. undefined when there is no terminal to ask (POOLFORM_CONFIRM_STDIN=1 reads a piped answer). */
export async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY && process.env.POOLFORM_CONFIRM_STDIN !== '1') return undefined;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer: string = await new Promise((resolve) => rl.question(question, resolve));
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

export function write(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
}
