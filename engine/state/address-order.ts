// The one order of resource addresses: the state file's resources array, `state list`, and every
// plan rendering (text, Markdown, JSON) sort with it, so `x[2]` comes before `x[10]` everywhere,
// as Terraform lists instance keys. Never depends on the locale.

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Compares addresses with digit runs taken as numbers (`a[2]` before `a[10]`), the rest by UTF-16
 * code unit. Addresses equal that way but spelled differently (`vm01`, `vm1`) fall back to plain
 * code-unit order, so the order is total and a sort's output never depends on its input order.
 */
export function compareAddresses(a: string, b: string): number {
  // Character walk without allocation: plans and states sort tens of thousands of addresses.
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let si = i;
      let sj = j;
      while (i < a.length && isDigit(a.charCodeAt(i))) i++;
      while (j < b.length && isDigit(b.charCodeAt(j))) j++;
      while (si < i - 1 && a.charCodeAt(si) === 48) si++;
      while (sj < j - 1 && b.charCodeAt(sj) === 48) sj++;
      if (i - si !== j - sj) return i - si - (j - sj);
      for (; si < i; si++, sj++) {
        const d = a.charCodeAt(si) - b.charCodeAt(sj);
        if (d !== 0) return d;
      }
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest;
  return a < b ? -1 : a > b ? 1 : 0;
}
