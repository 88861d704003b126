import type { ServiceName } from './types.js';

/** One operation of a service: its HTTP binding as the SDK serializes it. */
export interface RouteSpec {
  method: string;
  /** e.g. '/2021-01-01/packages/{PackageID}/domains' */
  path: string;
  operation: string;
  mutating: boolean;
  /** The service API version the route belongs to, where one service serves two (es: 2015-01-01, 2021-01-01). */
  apiVersion?: string;
}

export interface RouteMatch {
  operation: string;
  mutating: boolean;
  params: Record<string, string>;
  apiVersion?: string;
}

interface CompiledRoute extends RouteSpec {
  segments: string[];
}

/**
 * Matches by method and literal segments first, so `/packages/update` is never mistaken for
 * `/packages/{PackageID}` with a DELETE or GET on it.
 */
export class Router {
  private readonly byMethod = new Map<string, CompiledRoute[]>();

  constructor(
    readonly service: ServiceName,
    specs: RouteSpec[],
  ) {
    for (const spec of specs) {
      const compiled: CompiledRoute = { ...spec, segments: splitPath(spec.path) };
      const list = this.byMethod.get(spec.method) ?? [];
      list.push(compiled);
      this.byMethod.set(spec.method, list);
    }
    for (const list of this.byMethod.values()) {
      // Most literal segments first: literal routes win over templated ones of the same length.
      list.sort((a, b) => literalCount(b) - literalCount(a));
    }
  }

  match(method: string, pathname: string): RouteMatch | undefined {
    const candidates = this.byMethod.get(method);
    if (!candidates) return undefined;
    const segments = splitPath(pathname);
    for (const route of candidates) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const pattern = route.segments[i]!;
        const actual = segments[i]!;
        if (pattern.startsWith('{')) {
          params[pattern.slice(1, -1)] = safeDecode(actual);
        } else if (pattern !== actual) {
          ok = false;
          break;
        }
      }
      if (ok) {
        return {
          operation: route.operation,
          mutating: route.mutating,
          params,
          ...(route.apiVersion !== undefined ? { apiVersion: route.apiVersion } : {}),
        };
      }
    }
    return undefined;
  }

  /** Every route, for tests that hold the table against the service models. */
  routes(): RouteSpec[] {
    return [...this.byMethod.values()].flat().map(({ segments: _segments, ...spec }) => spec);
  }

  isMutating(operation: string): boolean | undefined {
    for (const list of this.byMethod.values()) {
      const found = list.find((r) => r.operation === operation);
      if (found) return found.mutating;
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function literalCount(route: CompiledRoute): number {
  return route.segments.filter((s) => !s.startsWith('{')).length;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
