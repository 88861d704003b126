/**
 * Fleets in the CLI's words (docs/fleets.md): one line per place of a progress or result that has
 * `places` — its key, package and version, how many of its domains are current, and why it failed.
 */
export function placeLines(report: unknown): string[] {
  const places = (report as { places?: unknown } | undefined)?.places;
  if (!Array.isArray(places)) return [];
  return places.map((raw) => {
    const p = raw as {
      place?: { key?: string };
      packageId?: string;
      packageDeletion?: string;
      keptBecause?: string;
      targetVersion?: string;
      packageChange?: string;
      domains?: number;
      current?: number;
      failed?: number;
      error?: { type?: string; message?: string };
    };
    const bits = [`  place ${String(p.place?.key ?? '?').padEnd(26)}`, p.packageId || '-'];
    if (p.targetVersion) bits.push(`-> ${p.targetVersion}`);
    if (p.packageChange) bits.push(`(${p.packageChange})`);
    if (typeof p.domains === 'number')
      bits.push(`${p.current ?? 0}/${p.domains} current, ${p.failed ?? 0} failed`);
    if (p.packageDeletion)
      bits.push(`deletion ${p.packageDeletion}${p.keptBecause ? ` (${p.keptBecause})` : ''}`);
    if (p.error?.message) bits.push(`— ${p.error.type ?? 'error'}: ${p.error.message}`);
    return bits.join(' ');
  });
}
