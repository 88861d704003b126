/**
 * The hook src/aws/clients.ts calls on every client it builds. It loads no OpenTelemetry module:
 * src/tracing/otel.ts installs the span middleware here when tracing starts, and until then (or with
 * tracing off) instrumentAwsClients returns the clients untouched.
 */

/** The part of an AWS SDK v3 client the middleware is added through (its middlewareStack). */
export interface InstrumentableClient {
  middlewareStack: { add(middleware: never, options: never): void };
}

type Instrument = (client: InstrumentableClient) => void;

let instrument: Instrument | undefined;

export function setAwsClientInstrumentation(fn: Instrument | undefined): void {
  instrument = fn;
}

/** Adds the tracing middleware to each client of the set when tracing is on; returns the same set. */
export function instrumentAwsClients<T extends object>(clients: T): T {
  if (!instrument) return clients;
  for (const client of Object.values(clients) as InstrumentableClient[]) instrument(client);
  return clients;
}
