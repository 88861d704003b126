/** `npm run provision:chromium`: finds or installs the browser the Web UI test drives, prints its path. */
import { resolveChromium } from '../src/provision/chromium.js';

try {
  console.log((await resolveChromium()).path);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
