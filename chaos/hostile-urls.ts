/**
 * Every hostile URL the chaos suite tries, in one place: the kinds the worker must refuse before
 * connecting (url-policy.ts starts a rollout for each, and a local server redirects to the metadata
 * endpoint), and the URLs the CLI must refuse as input (hostile.ts, exit 2 before anything starts).
 */
import type { RefusalKind } from '../src/net/outbound-url.js';

/** The instance metadata endpoint, as a credentials thief would ask it. */
export const METADATA_IPV4 = 'https://169.254.169.254/latest/meta-data/iam/security-credentials/';

/** Where the suite's local server redirects (a URL that passes the input rules, then is refused). */
export const REDIRECT_TARGET = 'https://169.254.169.254/latest/meta-data/iam/';

/** The address a rebinding name answers after its first (checked) answer. */
export const REBOUND_ADDRESS = '169.254.169.254';

/** URLs the worker refuses before connecting, with the refusal's kind. */
export const REFUSED_URLS: Array<{ id: string; url: string; kind: RefusalKind }> = [
  { id: 'metadata-ipv4', url: METADATA_IPV4, kind: 'metadata' },
  { id: 'metadata-ipv6', url: 'https://[fd00:ec2::254]/latest/meta-data/', kind: 'metadata' },
  { id: 'link-local', url: 'https://169.254.10.20/synonyms.txt', kind: 'link-local' },
  { id: 'private-10', url: 'https://10.0.0.7/synonyms.txt', kind: 'private' },
  { id: 'private-192', url: 'https://192.168.1.20/synonyms.txt', kind: 'private' },
];

/** URLs the CLI refuses as input (`--source-url`), by their case id. */
export const CLI_REFUSED_URLS = {
  'cli-source-url-file-scheme': 'file:///etc/passwd',
  'cli-source-url-metadata': 'http://169.254.169.254/latest/meta-data/',
} as const;

/** A well-formed https URL, for the cases where the URL is not what is wrong. */
export const HARMLESS_URL = 'https://example.com/x.txt';
