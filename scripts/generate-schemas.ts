/**
 * Writes schemas/<workflow>.{input,result,progress}.schema.json from the shared zod schemas
 * (src/client/contract.ts), for services in other languages.
 *
 *   npm run schemas            # regenerate
 *   npm run schemas -- --check # exit 1 when a checked-in file is stale or missing (CI)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { WORKFLOW_CONTRACTS, type WorkflowContract } from '../src/client/contract.js';
import { DEFAULT_TASK_QUEUE } from '../src/model/constants.js';
import { FailureTypes } from '../src/model/failures.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../src/model/search-attributes.js';
import { WORKFLOW_IDENTITIES } from '../src/model/workflow-identity.js';
import { INLINE_TEXT_MAX_BYTES } from '../src/model/dictionary-rollout.js';
import { notificationBody } from '../src/model/health-gates.js';

export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
/** A URN, not a URL: the files live in this repository, not at an address of their own. */
const BASE_ID = 'urn:package-rollouts:schemas:';

/** Rules JSON Schema cannot express (zod refinements); said in words so callers know them. */
const INPUT_NOTES: Record<string, string> = {
  dictionaryRollout:
    `Also checked by the workflow: source.url is https (http only for localhost) without credentials; ` +
    `source.text is at most ${INLINE_TEXT_MAX_BYTES} bytes of UTF-8 (it is recorded in workflow history); ` +
    `S3 keys and prefixes have no '.' or '..' segments, no leading '/', no control characters; ` +
    `percentages strictly increase and end at 100; explicit waves list every domain exactly once; ` +
    `canary is smaller than the number of domains; a probe names ` +
    `exactly one of analyzer or field; verification.endpoints names only listed domains. ` +
    `A violation ends the run with failure type InvalidInput ` +
    `(details: { issues: [{ field, rule }] }) before any AWS call.`,
  packageRemoval:
    'Everything is in the schema. A violation ends the run with failure type InvalidInput before any AWS call.',
  dataSourceAttachment:
    'Also checked by the workflow: exactly one of applicationId or applicationName; workspaceId and ' +
    'workspaceConfiguration exclude each other; pollIntervalSeconds <= waitLimitSeconds. A violation ends ' +
    'the run with failure type InvalidInput before any AWS call.',
  iotPackageRelease:
    'Also checked by the workflow: attribute keys match [a-zA-Z0-9:_-]+, values are non-empty without control ' +
    'characters, and all keys and values together are at most 3072 bytes of UTF-8; at most 50 tags, keys not ' +
    "starting with 'aws:'; publish 'no' allows neither makeDefault true nor deprecateOlder. makeDefault " +
    "defaults to true unless publish is 'no'. A violation ends the run with failure type InvalidInput before any AWS call.",
};

function document(
  schema: z.ZodType,
  io: 'input' | 'output',
  meta: { id: string; title: string; description: string },
): string {
  const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  const { $schema, ...rest } = json;
  const ordered = {
    $schema,
    $id: `${BASE_ID}${meta.id}`,
    title: meta.title,
    description: meta.description,
    ...rest,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** File name -> contents, in memory: the unit test compares this with the checked-in files. */
export function generateSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of WORKFLOW_CONTRACTS) {
    const common = `Workflow type '${c.workflowType}', task queue '${DEFAULT_TASK_QUEUE}' (configurable), workflow id ${c.workflowId}.`;
    files.set(
      `${c.stem}.input.schema.json`,
      document(c.input, 'input', {
        id: `${c.stem}.input.schema.json`,
        title: `${c.workflowType} input`,
        description:
          `The single argument of ${c.workflowType}. ${common} Omitted fields take the defaults shown. ${INPUT_NOTES[c.workflowType] ?? ''}`.trim(),
      }),
    );
    files.set(
      `${c.stem}.result.schema.json`,
      document(c.result, 'output', {
        id: `${c.stem}.result.schema.json`,
        title: `${c.workflowType} result`,
        description: `What ${c.workflowType} returns. A run with failed domains (or a cancelled one) ends Failed with ApplicationFailure type RolloutFailed (RolloutCancelled) and this same object as its first detail. ${common}`,
      }),
    );
    files.set(
      `${c.stem}.progress.schema.json`,
      document(c.progress, 'output', {
        id: `${c.stem}.progress.schema.json`,
        title: `${c.workflowType} progress`,
        description: `What the '${c.messages.queries[0]}' query of ${c.workflowType} returns while it runs. ${common}`,
      }),
    );
  }
  for (const c of WORKFLOW_CONTRACTS)
    for (const m of messagesOf(c))
      for (const role of ['argument', 'answer'] as const) {
        const schema = c.payloads[m.name]?.[role];
        const file = (m as { argument?: string | null; answer?: string | null })[role];
        if (!schema || !file || file === `${c.stem}.progress.schema.json` || files.has(file)) continue;
        files.set(
          file,
          document(schema, role === 'argument' ? 'input' : 'output', {
            id: file,
            title: `${c.workflowType} ${m.name} ${m.kind === 'query' ? 'query answer' : role}`,
            description: `${role === 'argument' ? 'The argument of' : 'What answers'} ${c.workflowType}'s ${m.name} ${m.kind === 'query' ? 'query' : m.kind === 'signal' ? 'signal' : 'update (and the argument of its signal twin)'}.`,
          }),
        );
      }
  files.set(
    'notification.schema.json',
    document(notificationBody, 'output', {
      id: 'notification.schema.json',
      title: 'notification',
      description:
        'The JSON body POSTed to the notifications URL of a rollout, one per event, in the order of seq (docs/health-gates.md). `text` is a one-line summary that Slack incoming webhooks show.',
    }),
  );
  files.set('contract.json', contractIndex());
  return files;
}

/**
 * Every query, update and signal of a workflow with the files of what it carries: a query's answer
 * `<stem>.<name>.schema.json`, an update's or signal's argument `<stem>.<name>.argument.schema.json`,
 * an update's answer `<stem>.<name>.answer.schema.json`; null = nothing.
 */
function messagesOf(c: WorkflowContract) {
  const file = (name: string, suffix: string, role: 'argument' | 'answer') =>
    c.payloads[name]?.[role] ? `${c.stem}.${name}${suffix}.schema.json` : null;
  return [
    ...c.messages.queries.map((name) => ({ kind: 'query' as const, name, answer: file(name, '', 'answer') })),
    ...c.messages.updates.map((name) => ({
      kind: 'update' as const,
      name,
      argument: file(name, '.argument', 'argument'),
      answer: file(name, '.answer', 'answer'),
      refusedWith: FailureTypes.UpdateRefused,
    })),
    ...c.messages.signals.map((name) => ({
      kind: 'signal' as const,
      name,
      argument: file(name, '.argument', 'argument'),
    })),
  ];
}

/** The contract's codec section: what a caller must know, the details left to docs/security.md. */
const PAYLOADS = {
  encoding: 'json/plain',
  note: "Temporal's default JSON payload converter: numbers as JSON numbers (integers where a schema says integer), times as milliseconds since the Unix epoch.",
  codec: {
    when: 'the workers run with ROLLOUTS_PAYLOAD_KEY set: every payload is encrypted',
    metadata: {
      encoding: 'binary/encrypted',
      keyId: 'encryption-key-id',
      cipher: 'encryption-cipher',
      formatVersion: 'encryption-format',
    },
    specification:
      'docs/security.md (algorithm, additional authenticated data, key ids and rotation, per format version)',
    codecServer:
      "npm run codec-server: Temporal's remote codec protocol, POST /encode and POST /decode with {payloads: [...]}, for callers that do not implement the codec",
  },
};

/**
 * schemas/contract.json: what a caller in another language needs besides the schemas — the task
 * queue; per workflow its type name, workflow id template and policies, messages with their
 * schema files, search attributes and the input rules JSON Schema cannot express; failure types;
 * the payload encoding and codec.
 */
function contractIndex(): string {
  const index = {
    $comment:
      'Generated by scripts/generate-schemas.ts from src/client/contract.ts and src/model; do not edit. How to use it: docs/contract.md.',
    contractVersion: 2,
    taskQueue: DEFAULT_TASK_QUEUE,
    taskQueueNote: 'the default; deployments may set ROLLOUTS_TASK_QUEUE on the workers and callers',
    workflows: WORKFLOW_CONTRACTS.map((c) => {
      const identity = WORKFLOW_IDENTITIES[c.workflowType];
      return {
        workflowType: c.workflowType,
        workflowId: c.workflowId,
        workflowIdTemplate: identity.idTemplate,
        workflowIdConflictPolicy: identity.idConflictPolicy,
        workflowIdReusePolicy: identity.idReusePolicy,
        input: `${c.stem}.input.schema.json`,
        result: `${c.stem}.result.schema.json`,
        progress: `${c.stem}.progress.schema.json`,
        queries: c.messages.queries,
        updates: c.messages.updates,
        signals: c.messages.signals,
        messages: messagesOf(c),
        searchAttributesAtStart: identity.searchAttributes.map((sa) => ({
          name: sa.key.name,
          type: SEARCH_ATTRIBUTE_DEFINITIONS[sa.key.name],
          value: sa.value,
          ...(sa.maxJsonBytes !== undefined ? { maxJsonBytes: sa.maxJsonBytes } : {}),
          ...(sa.changesWhileRunning ? { changesWhileRunning: true } : {}),
        })),
        rulesNotInSchema: INPUT_NOTES[c.workflowType] ?? '',
      };
    }),
    searchAttributes: Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS).map(([name, type]) => ({ name, type })),
    failureTypes: Object.values(FailureTypes),
    failureTypesCarryingResult: [FailureTypes.RolloutFailed, FailureTypes.RolloutCancelled],
    invalidInput: {
      failureType: FailureTypes.InvalidInput,
      details: '[{ issues: [{ field, rule }] }], before any AWS call',
    },
    updateRefusedFailureType: FailureTypes.UpdateRefused,
    payloads: PAYLOADS,
    notification: 'notification.schema.json',
  };
  return `${JSON.stringify(index, null, 2)}\n`;
}

/** Names of files that differ from (or are missing in / extra in) the directory. */
export function staleSchemaFiles(dir = SCHEMAS_DIR, generated = generateSchemas()): string[] {
  const stale: string[] = [];
  for (const [name, text] of generated) {
    const path = join(dir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
  }
  if (existsSync(dir))
    for (const name of readdirSync(dir))
      if (name.endsWith('.schema.json') && !generated.has(name)) stale.push(`${name} (no longer generated)`);
  return stale;
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const stale = staleSchemaFiles();
    if (stale.length === 0) {
      console.log(`schemas/ is current (${generateSchemas().size} files)`);
      return 0;
    }
    console.error(`schemas/ is stale: ${stale.join(', ')}\nRun: npm run schemas`);
    return 1;
  }
  mkdirSync(SCHEMAS_DIR, { recursive: true });
  const generated = generateSchemas();
  for (const name of readdirSync(SCHEMAS_DIR))
    if (name.endsWith('.schema.json') && !generated.has(name)) rmSync(join(SCHEMAS_DIR, name));
  for (const [name, text] of generated) writeFileSync(join(SCHEMAS_DIR, name), text);
  console.log(`wrote ${generated.size} files to schemas/`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
