/**
 * Writes dist/workflow-bundle.js, so the production worker starts without webpack and runs the
 * exact workflow code that was built (and tested) in CI; and dist/workflow-bundle-traced.js, the
 * same workflows with the OpenTelemetry workflow interceptors, which the worker runs when tracing
 * is on (docs/tracing.md).
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsEntry } from '../src/worker/create-worker.js';
import { tracingWorkflowModules } from '../src/tracing/workflow-modules.js';

const bundles = [
  { file: 'workflow-bundle.js', workflowInterceptorModules: [] },
  { file: 'workflow-bundle-traced.js', workflowInterceptorModules: tracingWorkflowModules() },
];
for (const { file, workflowInterceptorModules } of bundles) {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), workflowInterceptorModules });
  writeFileSync(new URL(`../dist/${file}`, import.meta.url), code);
  console.log(`dist/${file}: ${(code.length / 1024).toFixed(0)} KiB`);
}
