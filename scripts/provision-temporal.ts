/** `npm run provision:temporal`: finds or downloads (else builds) the pinned Temporal CLI and prints its path. */
import { resolveTemporalCli } from '../src/temporal/cli.js';

const cli = await resolveTemporalCli();
console.log(cli.kind === 'path' ? cli.path : 'sdk-download');
