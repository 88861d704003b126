import type { ActivityDeps } from './deps.js';

export function createOpenSearchApplicationActivities(_deps: ActivityDeps) {
  return {};
}
