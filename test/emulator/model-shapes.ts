import { Readable } from 'node:stream';

/**
 * Holds the emulator's answers against the service models, as the installed AWS SDK clients carry
 * them: each client package exports its schemas (`DescribePackages$` = [9, ns, name, traits,
 * input, output]; named simple types [0, ns, name, traits, type]; structures [3, ns, name, traits, memberNames, memberSchemas, requiredCount];
 * errors the same with -3; lists [1, ns, name, traits, member]; maps [2, ..., key, value]; simple
 * types as numbers: 0 string, 1 number, 2 boolean, 4-7 timestamp, 15 document, 21 blob, 64|x a list
 * of x, 128|x a map of x). These are the schemas the SDK deserialises with, so a member they do not
 * define is one a client of that API version would never see defined, and the test says so.
 */

type Module = Record<string, unknown>;
type Traits = Record<string, unknown>;

export interface RecordedResponse {
  /** e.g. 'opensearch', 'es', 'iot', 's3' */
  service: string;
  operation: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const deref = (schema: unknown): unknown =>
  typeof schema === 'function' ? (schema as () => unknown)() : schema;

const BIT_TRAITS = [
  'httpLabel',
  'idempotent',
  'idempotencyToken',
  'sensitive',
  'httpPayload',
  'httpResponseCode',
];

function traitsOf(indicator: unknown): Traits {
  if (indicator !== null && typeof indicator === 'object') return indicator as Traits;
  const bits = typeof indicator === 'number' ? indicator : 0;
  const traits: Traits = {};
  BIT_TRAITS.forEach((name, i) => {
    if ((bits >> i) & 1) traits[name] = 1;
  });
  if ((bits >> 6) & 1) traits.httpQueryParams = 1;
  return traits;
}

/** A member reference is [schema, traits]; a schema of its own is an array of five or more. */
function unwrap(ref: unknown): { schema: unknown; traits: Traits } {
  const value = deref(ref);
  if (Array.isArray(value) && value.length === 2) {
    const inner = unwrap(value[0]);
    return { schema: inner.schema, traits: { ...inner.traits, ...traitsOf(value[1]) } };
  }
  // A named simple type ([0, ns, name, traits, type], e.g. a sensitive string) is its type.
  if (Array.isArray(value) && value[0] === 0) return unwrap(value[4]);
  return { schema: value, traits: {} };
}

function nameOf(schema: unknown): string {
  return Array.isArray(schema) ? String(schema[2]) : String(schema);
}

interface StructMember {
  name: string;
  schema: unknown;
  traits: Traits;
  required: boolean;
}

function structMembers(schema: unknown[]): StructMember[] {
  const names = schema[4] as string[];
  const schemas = schema[5] as unknown[];
  const requiredCount = typeof schema[6] === 'number' ? schema[6] : 0;
  return names.map((name, i) => ({ name, ...unwrap(schemas[i]), required: i < requiredCount }));
}

/** Bound to the status line, a header or the query: not part of a JSON or XML body. */
const outsideBody = (t: Traits): boolean =>
  t.httpHeader !== undefined ||
  t.httpPrefixHeaders !== undefined ||
  t.httpResponseCode !== undefined ||
  t.httpQuery !== undefined ||
  t.httpLabel !== undefined;

/** Every way `value` (parsed JSON) departs from `schema`, each naming its path. */
export function jsonShapeProblems(value: unknown, ref: unknown, path = '$'): string[] {
  const { schema } = unwrap(ref);
  if (value === null || value === undefined) return [];
  if (typeof schema === 'number') {
    if (schema === 0 || schema === 21) return typeof value === 'string' ? [] : [`${path}: expected a string`];
    if (schema === 1 || schema === 17 || schema === 19)
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    if (schema === 2) return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    if (schema >= 4 && schema <= 7)
      return typeof value === 'number' ? [] : [`${path}: expected a timestamp (epoch seconds)`];
    if (schema === 15) return [];
    if (schema >= 64 && schema < 128) return listProblems(value, schema & 63, path);
    if (schema >= 128) return mapProblems(value, schema & 63, path);
    return [`${path}: unknown simple schema ${schema}`];
  }
  if (schema === 'unit') return [];
  if (!Array.isArray(schema)) return [`${path}: no schema`];
  switch (schema[0]) {
    case 1:
      return listProblems(value, schema[4], path);
    case 2:
      return mapProblems(value, schema[5], path);
    case 3:
    case -3:
    case 4:
      return structProblems(value, schema, path);
    default:
      return [`${path}: unknown schema kind ${String(schema[0])}`];
  }
}

function listProblems(value: unknown, member: unknown, path: string): string[] {
  if (!Array.isArray(value)) return [`${path}: expected a list`];
  return value.flatMap((item, i) => jsonShapeProblems(item, member, `${path}[${i}]`));
}

function mapProblems(value: unknown, member: unknown, path: string): string[] {
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected a map`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    jsonShapeProblems(v, member, `${path}.${k}`),
  );
}

function structProblems(value: unknown, schema: unknown[], path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${path}: expected a ${nameOf(schema)} object`];
  const object = value as Record<string, unknown>;
  const members = structMembers(schema).filter((m) => !outsideBody(m.traits));
  const byWireName = new Map(members.map((m) => [String(m.traits.jsonName ?? m.name), m]));
  const problems: string[] = [];
  for (const [key, memberValue] of Object.entries(object)) {
    const member = byWireName.get(key);
    if (!member) {
      problems.push(`${path}.${key}: ${nameOf(schema)} has no member ${key}`);
      continue;
    }
    problems.push(...jsonShapeProblems(memberValue, member.schema, `${path}.${key}`));
  }
  for (const member of members) {
    const key = String(member.traits.jsonName ?? member.name);
    if (member.required && (object[key] === undefined || object[key] === null))
      problems.push(`${path}.${key}: required member of ${nameOf(schema)} missing`);
  }
  return problems;
}

/** The response headers the model binds to output members must be ones it names. */
export function headerShapeProblems(
  headers: Record<string, string>,
  ref: unknown,
  ignore: Set<string>,
): string[] {
  const { schema } = unwrap(ref);
  if (!Array.isArray(schema)) return [];
  const bound = new Set(
    structMembers(schema)
      .map((m) => m.traits.httpHeader)
      .filter((h): h is string => typeof h === 'string')
      .map((h) => h.toLowerCase()),
  );
  const prefixes = structMembers(schema)
    .map((m) => m.traits.httpPrefixHeaders)
    .filter((h): h is string => typeof h === 'string')
    .map((h) => h.toLowerCase());
  return Object.keys(headers)
    .filter((h) => !ignore.has(h) && !bound.has(h) && !prefixes.some((p) => h.startsWith(p)))
    .map((h) => `header ${h}: ${nameOf(schema)} binds no member to it`);
}

/** The member bound to the whole body (httpPayload, e.g. CopyObjectOutput's CopyObjectResult), if any. */
export function payloadSchema(ref: unknown): unknown {
  const { schema } = unwrap(ref);
  if (!Array.isArray(schema) || schema[0] !== 3) return undefined;
  return structMembers(schema).find((m) => m.traits.httpPayload !== undefined)?.schema;
}

/** A minimal reader for the emulator's own XML (elements and text, no attributes but xmlns). */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export function parseXml(text: string): XmlElement {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  const root: XmlElement = { name: '#root', children: [], text: '' };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z0-9_:]+)[^>]*?(\/?)>|([^<]+)/g;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const top = stack[stack.length - 1]!;
    if (m[4] !== undefined) top.text += m[4];
    else if (m[1] === '/') stack.pop();
    else {
      const element: XmlElement = { name: m[2]!, children: [], text: '' };
      top.children.push(element);
      if (m[3] !== '/') stack.push(element);
    }
  }
  return root.children[0]!;
}

/** Element names against the structure (xmlName, flattened lists); leaves are text. */
export function xmlShapeProblems(element: XmlElement, ref: unknown, path = ''): string[] {
  const { schema } = unwrap(ref);
  const here = `${path}/${element.name}`;
  if (!Array.isArray(schema) || (schema[0] !== 3 && schema[0] !== -3)) {
    if (Array.isArray(schema) && schema[0] === 1) {
      const member = unwrap(schema[4]);
      return element.children.flatMap((child) => xmlShapeProblems(child, member.schema, here));
    }
    return element.children.length > 0 ? [`${here}: a ${nameOf(schema)} value has child elements`] : [];
  }
  const members = structMembers(schema).filter((m) => !outsideBody(m.traits));
  const byName = new Map(members.map((m) => [String(m.traits.xmlName ?? m.name), m]));
  const problems: string[] = [];
  for (const child of element.children) {
    const member = byName.get(child.name);
    if (!member) {
      problems.push(`${here}/${child.name}: ${nameOf(schema)} has no member ${child.name}`);
      continue;
    }
    const memberSchema = unwrap(member.schema).schema;
    const isList =
      (Array.isArray(memberSchema) && memberSchema[0] === 1) ||
      (typeof memberSchema === 'number' && memberSchema >= 64 && memberSchema < 128);
    if (isList && member.traits.xmlFlattened !== undefined) {
      // A flattened list: each element is one item of the list's member type.
      const itemSchema = Array.isArray(memberSchema)
        ? unwrap(memberSchema[4]).schema
        : (memberSchema as number) & 63;
      problems.push(...xmlShapeProblems(child, itemSchema, here));
    } else {
      problems.push(...xmlShapeProblems(child, member.schema, here));
    }
  }
  return problems;
}

/** The operation schema a client module exports for a command name ('DescribePackagesCommand'). */
export function operationSchema(module: Module, commandName: string): unknown[] {
  const schema = deref(module[`${commandName.replace(/Command$/, '')}$`]);
  if (!Array.isArray(schema) || schema[0] !== 9) throw new Error(`no operation schema for ${commandName}`);
  return schema;
}

/** The error structure of a service's model named by an error code, if the model has it. */
export function errorSchema(module: Module, code: string): unknown[] | undefined {
  const schema = deref(module[`${code}$`]);
  return Array.isArray(schema) && schema[0] === -3 ? schema : undefined;
}

interface MiddlewareClient {
  middlewareStack: {
    addRelativeTo(
      middleware: unknown,
      options: { relation: 'after' | 'before'; toMiddleware: string; name: string },
    ): void;
  };
}

/**
 * Records every raw answer a client receives, below its deserializer (which then reads the same
 * bytes again), so the test sees exactly what went over the wire.
 */
export function recordResponses(client: unknown, service: string, into: RecordedResponse[]): void {
  (client as MiddlewareClient).middlewareStack.addRelativeTo(
    (next: (args: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const result = await next(args);
        const response = result.response as {
          statusCode: number;
          headers: Record<string, string>;
          body?: Readable;
        };
        const chunks: Buffer[] = [];
        if (response.body) for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Buffer));
        const bytes = Buffer.concat(chunks);
        response.body = Readable.from([bytes]);
        into.push({
          service,
          operation: (context.commandName ?? '').replace(/Command$/, ''),
          status: response.statusCode,
          headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v])),
          body: bytes.toString('utf8'),
        });
        return result;
      },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'recordRawResponse' },
  );
}
