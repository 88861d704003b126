export * from './dictionary-rollout/workflow.js';
export * from './package-removal.js';
export * from './data-source-attachment.js';
export * from './iot-package-release.js';
export * from './plugin-rollout.js';
