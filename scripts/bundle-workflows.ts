/**
 * Writes dist/workflow-bundle.js, so the production worker starts without webpack and runs the
 * exact workflow code that was built (and tested) in CI.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsEntry } from '../src/worker/create-worker.js';

const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry() });
writeFileSync(new URL('../dist/workflow-bundle.js', import.meta.url), code);
console.log(`dist/workflow-bundle.js: ${(code.length / 1024).toFixed(0)} KiB`);
