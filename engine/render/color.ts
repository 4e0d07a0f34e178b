// ANSI colour for terminal output. Hand-written: five SGR codes do not justify a dependency,
// and the "off" palette must be exact identity functions so -no-color output stays byte-stable.

export interface Palette {
  readonly enabled: boolean;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  underline(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => (s === '' ? s : `\x1b[${open}m${s}\x1b[${close}m`);
const same = (s: string) => s;

const ON: Palette = {
  enabled: true,
  green: sgr(32, 39),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  bold: sgr(1, 22),
  underline: sgr(4, 24),
  dim: sgr(2, 22),
};

const OFF: Palette = { enabled: false, green: same, red: same, yellow: same, cyan: same, bold: same, underline: same, dim: same };

export function palette(color: boolean): Palette {
  return color ? ON : OFF;
}

/** Remove ANSI escape sequences (for width computations and tests). */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * Colour a change marker the way Terraform does: + green, - red, ~ yellow, <= cyan, and the
 * two halves of a replacement marker separately.
 */
export function colorMarker(mark: string, p: Palette): string {
  if (!p.enabled) return mark;
  switch (mark) {
    case '+':
      return p.green(mark);
    case '-':
      return p.red(mark);
    case '~':
      return p.yellow(mark);
    case '<=':
      return p.cyan(mark);
    case '-/+':
      return `${p.red('-')}/${p.green('+')}`;
    case '+/-':
      return `${p.green('+')}/${p.red('-')}`;
    default:
      return mark;
  }
}
