export { checkDictionary } from './check.js';
export { analyze, ENGLISH_STOP_WORDS, type Token } from './analyzer.js';
export * from './types.js';
