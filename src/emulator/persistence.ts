import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { SavedAlarm } from './cloudwatch.js';
import type { SavedIot } from './iot.js';
import type { SavedOpenSearch } from './opensearch-snapshot.js';
import type { SavedPlace } from './places.js';
import type { SavedBucket } from './s3.js';
import type { SavedSts } from './sts.js';
import type { DomainBacking, Durations } from './types.js';

export const STATE_FORMAT = 1;

export interface SavedState {
  format: typeof STATE_FORMAT;
  savedAt: string;
  clock: { aheadMs: number; scale: number };
  durations: Durations;
  /** The default place's OpenSearch and IoT state (where files before places kept them). */
  opensearch: SavedOpenSearch;
  iot: SavedIot;
  /** Every place's buckets, each with its Region and owner. */
  s3: SavedBucket[];
  /** The default place's CloudWatch alarms (absent in files saved before they were kept). */
  alarms?: SavedAlarm[];
  /** The default place's domains backed by real OpenSearch nodes. */
  backings?: Record<string, DomainBacking>;
  /** Every other account and Region with state. */
  places?: SavedPlace[];
  /** Roles and the sessions handed out for them (no secrets: session tokens as sha256). */
  sts?: SavedSts;
}

export function loadStateFile(path: string): SavedState | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SavedState>;
  if (parsed.format !== STATE_FORMAT) {
    // Refuse rather than overwrite: the file may hold someone's resources from another version.
    throw new Error(`${path}: unsupported emulator state format ${String(parsed.format)}`);
  }
  return parsed as SavedState;
}

/**
 * Debounced saving: a burst of mutations costs one write. Writes go to a temporary file that is
 * renamed into place, so a crash mid-write leaves the previous state intact.
 */
export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly serialize: () => SavedState,
    private readonly debounceMs = 100,
  ) {}

  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const write = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const text = JSON.stringify(this.serialize());
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, this.path);
    });
    this.writing = write.catch((err: unknown) => {
      console.error(`emulator: could not save state to ${this.path}:`, err);
    });
    await this.writing;
  }
}
