/** Names other services rely on: changing one is a breaking change of the workflow contract. */
export const DEFAULT_TASK_QUEUE = 'package-rollouts';

export const WorkflowTypes = {
  dictionaryRollout: 'dictionaryRollout',
  packageRemoval: 'packageRemoval',
  dataSourceAttachment: 'dataSourceAttachment',
  iotPackageRelease: 'iotPackageRelease',
  pluginRollout: 'pluginRollout',
} as const;
export type WorkflowType = (typeof WorkflowTypes)[keyof typeof WorkflowTypes];
