export * from './aws-rules.js';
export * from './constants.js';
export * from './dictionary-rollout.js';
export * from './failures.js';
export * from './opensearch-packages.js';
export * from './search-attributes.js';
export * from './validation.js';
export * from './package-removal.js';
