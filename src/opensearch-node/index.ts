export { startOpenSearchNode, NODE_JVM_OPTIONS, type OpenSearchNode, type StartOptions } from './node.js';
export {
  provisionOpenSearchNode,
  launcherCacheDir,
  launcherSourceHash,
  OPENSEARCH_VERSION,
  type ProvisionedLauncher,
} from './provision.js';
