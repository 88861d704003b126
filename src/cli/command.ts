import type { Options } from './args.js';
import type { CommandContext } from './context.js';

export interface Command {
  /** As typed: 'dictionary', 'schedule create'. */
  name: string;
  summary: string;
  /** Usage line(s) after `rollouts `. */
  usage: string;
  /** More help: what the command does, examples. */
  details?: string;
  options: Options;
  /** Adds --address, --namespace, --task-queue, --connect-timeout. */
  connects: boolean;
  run(ctx: CommandContext): Promise<number>;
}
