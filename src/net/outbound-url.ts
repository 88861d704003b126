/**
 * The one way the worker connects to a URL a user gave it (the `url` dictionary source today;
 * webhook gates and notification targets): resolve the name once, check every address it
 * resolves to, and connect to the address that was checked, never to a second lookup's answer
 * (DNS rebinding). Each redirect is checked the same way before it is followed.
 *
 * Refused, with an OutboundUrlError naming the rule:
 * - any scheme but https; http only to loopback (a local test server), as the input rule says;
 * - cloud metadata endpoints (169.254.169.254, fd00:ec2::254, the ECS/EKS credential endpoints):
 *   always, whatever is allowed;
 * - link-local, private, shared (CGNAT), unspecified, multicast and reserved ranges, and loopback
 *   when it is not allowed, unless the worker's configuration allows the host name or a range
 *   holding the address (ROLLOUTS_OUTBOUND_ALLOW).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** What resolves a host name: every address, like dns.lookup(name, { all: true }). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundPolicy {
  /** Host names allowed whatever they resolve to (metadata endpoints excepted), lower case. */
  allowHosts: string[];
  /** Address ranges allowed, as CIDRs (`10.1.0.0/16`, `fd12::/64`). */
  allowCidrs: string[];
  /** Loopback addresses (a local test server, a sidecar) [true, as before this policy]. */
  allowLoopback: boolean;
  /** Injected in tests; dns.lookup otherwise. */
  resolve?: Resolver;
}

export type RefusalKind =
  | 'scheme'
  | 'credentials'
  | 'metadata'
  | 'link-local'
  | 'private'
  | 'loopback'
  | 'reserved'
  | 'unresolvable'
  | 'redirect';

export class OutboundUrlError extends Error {
  override readonly name = 'OutboundUrlError';
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}

const METADATA = ['169.254.169.254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::254', 'fd00:ec2::23'];

function ranges(list: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const block = new BlockList();
  for (const [net, prefix, type] of list) block.addSubnet(net, prefix, type);
  return block;
}

const LOOPBACK = ranges([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const LINK_LOCAL = ranges([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const PRIVATE = ranges([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // shared address space (carrier-grade NAT, some VPC setups)
  ['fc00::', 7, 'ipv6'], // unique local (fd00:ec2::/… is AWS's)
]);
const RESERVED = ranges([
  ['0.0.0.0', 8, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'], // multicast, reserved and broadcast
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
]);

function isLoopback(raw: ResolvedAddress): boolean {
  const { address, family } = normalize(raw.address, raw.family);
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** An IPv4 address written in IPv6 (::ffff:a.b.c.d, or NAT64 64:ff9b::a.b.c.d) is judged as IPv4. */
function normalize(address: string, family: 4 | 6): ResolvedAddress {
  if (family === 6) {
    const m = /^(?:::ffff:|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
    if (m) return { address: m[1]!, family: 4 };
    const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
    if (hex) {
      const hi = Number.parseInt(hex[1]!, 16);
      const lo = Number.parseInt(hex[2]!, 16);
      return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 4 };
    }
  }
  return { address: address.toLowerCase(), family };
}

function parseCidr(cidr: string): [string, number, 'ipv4' | 'ipv6'] {
  const [net, bits] = cidr.split('/');
  const family = isIP(net ?? '');
  const prefix = Number(bits);
  if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
    throw new RangeError(`'${cidr}' is not a CIDR (e.g. 10.1.0.0/16 or fd12:3456::/48)`);
  return [net!, prefix, family === 4 ? 'ipv4' : 'ipv6'];
}

/** The checker for one policy: allowed ranges are compiled once. */
export function createOutboundGuard(policy: OutboundPolicy) {
  const allowed = ranges(policy.allowCidrs.map(parseCidr));
  const allowHosts = new Set(policy.allowHosts.map((h) => h.toLowerCase()));
  const resolve: Resolver =
    policy.resolve ??
    (async (hostname) =>
      (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family === 6 ? 6 : 4,
      })));

  /** Why this address may not be reached, or undefined when it may. */
  function refusal(raw: ResolvedAddress, hostAllowed: boolean): RefusalKind | undefined {
    const { address, family } = normalize(raw.address, raw.family);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (METADATA.includes(address)) return 'metadata';
    if (LOOPBACK.check(address, type)) return policy.allowLoopback ? undefined : 'loopback';
    if (hostAllowed || allowed.check(address, type)) return undefined;
    if (LINK_LOCAL.check(address, type)) return 'link-local';
    if (PRIVATE.check(address, type)) return 'private';
    if (RESERVED.check(address, type)) return 'reserved';
    return undefined;
  }

  const what: Record<RefusalKind, string> = {
    scheme: '',
    credentials: '',
    metadata: 'a cloud instance metadata endpoint (never allowed)',
    'link-local': 'a link-local address',
    private: 'a private address',
    loopback: 'a loopback address (ROLLOUTS_OUTBOUND_ALLOW_LOOPBACK=false)',
    reserved: 'a reserved, unspecified or multicast address',
    unresolvable: '',
    redirect: '',
  };

  /**
   * Checks a URL and resolves its host once. Every address the name resolves to must pass: an
   * answer mixing a public and a private address is refused rather than left to chance.
   */
  async function check(raw: string | URL, field: string): Promise<{ url: URL; target: ResolvedAddress }> {
    const url = new URL(raw);
    if (url.username || url.password)
      throw new OutboundUrlError('credentials', `${field}: credentials in a URL are not allowed`);
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const literal = isIP(host);
    const localName = ['localhost', '127.0.0.1', '::1'].includes(host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localName))
      throw new OutboundUrlError(
        'scheme',
        `${field}: only https URLs are fetched (http only for localhost; got ${url.protocol}//${host})`,
      );
    let addresses: ResolvedAddress[];
    if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await resolve(host);
      } catch (err) {
        throw new OutboundUrlError(
          'unresolvable',
          `${field}: cannot resolve '${host}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      if (addresses.length === 0)
        throw new OutboundUrlError('unresolvable', `${field}: '${host}' resolves to no address`);
    }
    for (const address of addresses) {
      const kind = refusal(address, !literal && allowHosts.has(host));
      if (kind)
        throw new OutboundUrlError(
          kind,
          `${field}: '${host}' resolves to ${address.address}, ${what[kind]}; refused before connecting (allow it with ROLLOUTS_OUTBOUND_ALLOW if it is meant)`,
        );
    }
    // Plain http travels only inside this machine.
    if (url.protocol === 'http:' && !addresses.every((a) => isLoopback(a)))
      throw new OutboundUrlError('scheme', `${field}: http is fetched only from loopback ('${host}' is not)`);
    return { url, target: addresses[0]! };
  }

  /**
   * GET a user-given URL under the policy: the connection goes to the checked address (the host
   * name still goes to TLS for SNI and certificate checks, and in the Host header); a redirect
   * is checked again before it is followed. The answer is the response stream, unread.
   */
  async function get(
    raw: string,
    options: { field: string; signal?: AbortSignal; maxRedirects?: number },
  ): Promise<{ response: IncomingMessage; url: URL }> {
    let current = raw;
    for (let hop = 0; ; hop++) {
      const { url, target } = await check(
        current,
        hop === 0 ? options.field : `${options.field} (redirect ${hop})`,
      );
      const response = await connect(url, target, options.signal);
      const location = response.headers.location;
      if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
        response.resume();
        if (hop >= (options.maxRedirects ?? 5))
          throw new OutboundUrlError(
            'redirect',
            `${options.field}: more than ${options.maxRedirects ?? 5} redirects`,
          );
        current = new URL(location, url).href;
        continue;
      }
      return { response, url };
    }
  }

  /**
   * POST a JSON body to a user-given URL under the policy (webhook gates, notifications). A
   * redirect is not followed: a POST that moved is an answer that is not 2xx.
   */
  async function post(
    raw: string,
    options: { field: string; body: string; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<{ response: IncomingMessage; url: URL }> {
    const { url, target } = await check(raw, options.field);
    const response = await connect(url, target, options.signal, {
      method: 'POST',
      body: options.body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(options.body)),
        ...options.headers,
      },
    });
    return { response, url };
  }

  return { check, get, post };
}

interface Send {
  method: 'POST';
  body: string;
  headers: Record<string, string>;
}

function connect(
  url: URL,
  target: ResolvedAddress,
  signal?: AbortSignal,
  send?: Send,
): Promise<IncomingMessage> {
  // net.connect asks this instead of DNS: the address already checked, nothing else.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: send?.method ?? 'GET',
        lookup: pinned,
        signal,
        headers: { 'accept-encoding': 'identity', ...send?.headers },
      },
      resolve,
    );
    req.on('error', reject);
    req.end(send?.body);
  });
}

export type OutboundGuard = ReturnType<typeof createOutboundGuard>;
