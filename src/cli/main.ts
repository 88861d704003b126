/**
 * The `rollouts` CLI: `npm run rollouts -- <command>`, `npx rollouts <command>` (bin/rollouts.js),
 * or `node dist/cli/main.js` after `npm run build`. Commands and exit codes: README, "CLI".
 */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2));
// The Temporal and AWS clients may keep sockets (and the native runtime threads) alive a while
// after they are closed; the command has finished, so the process ends now.
process.exit(code);
