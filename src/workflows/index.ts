export * from './dictionary-rollout.js';
