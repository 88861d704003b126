/**
 * The workflow interceptors bundled with the workflows when tracing is on (not a workflow: the
 * bundler loads this module through `workflowInterceptorModules`). Runs in the workflow sandbox:
 * no Node or AWS imports.
 *
 * Temporal's OpenTelemetry interceptors, with one change: update handlers and validators are not
 * wrapped in spans. The SDK's wrapping adds awaits around an update handler, which moves the
 * update's completion against the commands the main workflow code issues in the same activation;
 * a run that took an update (approval gate, pause, resume) on an untraced worker then fails to
 * replay on a traced one, and back (test/replay/tracing-replay.test.ts shows it). Without that
 * wrapping, runs can move between traced and untraced workers. The client still traces the update
 * call it makes (StartWorkflowUpdate), and the activities the update leads to are traced.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import type {
  Next,
  UpdateInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
} from '@temporalio/workflow';

class InboundWithoutUpdateSpans extends OpenTelemetryInboundInterceptor {
  override handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
    return next(input);
  }

  override validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>) {
    next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new InboundWithoutUpdateSpans()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
