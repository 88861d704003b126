export * from './encryption-codec.js';
export * from './env.js';
