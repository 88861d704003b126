import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './errors.js';
import type { CallResource } from './types.js';

/** What a service handler sees of one request, already routed to an operation. */
export interface ServiceRequest {
  operation: string;
  /** Where one service serves two API versions (es: '2015-01-01', '2021-01-01'), the one called. */
  apiVersion?: string;
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Emulator clock at arrival: one reading per request keeps every status in a response consistent. */
  now: number;
  /** Filled by handlers so the call log can say which resource a call touched. */
  resource: CallResource;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export type JsonObject = Record<string, unknown>;

export function jsonBody(req: ServiceRequest): JsonObject {
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 400, 'Request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 400, 'Request body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** restJson1 timestamps default to epoch seconds in bodies. */
export const epochSeconds = (ms: number): number => ms / 1000;
