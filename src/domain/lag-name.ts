/** LAG names on one switch: the first free `{n}` of the switch's template, and the fallback before one is stored. */

/** The first name `template` gives (n = 1, 2, …) that is not in `used`. */
export function chooseLagName(template: string, used: ReadonlySet<string>): string {
  let n = 1;
  while (used.has(template.replace('{n}', String(n)))) n++;
  return template.replace('{n}', String(n));
}

/** The name a group without a stored LAG name gets: `lag-<key>`, cut to 60 characters of the allowed set. */
export function fallbackLagName(groupKey: string): string {
  return `lag-${groupKey}`.slice(0, 60).replace(/[^A-Za-z0-9/._:-]/g, '-');
}
