import type { ActivityDeps } from './deps.js';

export function createIotActivities(_deps: ActivityDeps) {
  return {};
}
