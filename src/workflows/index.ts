export * from './dictionary-rollout.js';
export * from './package-removal.js';
