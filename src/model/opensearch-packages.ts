import type { DomainError } from './dictionary-rollout.js';

/** Shapes activities return about OpenSearch packages: small, so they sit well in history. */
export interface PackageSummary {
  packageId: string;
  packageName: string;
  packageType: string;
  status: string;
  /** e.g. "v3" */
  availableVersion?: string;
  /** The content hash recorded in the description by package-rollouts, if any. */
  contentSha256?: string;
  description?: string;
  error?: { type: string; message: string };
}

export interface DomainPackageRow {
  domain: string;
  status: string;
  version?: string;
  referencePath?: string;
  error?: { type: string; message: string };
}

export function referencePathOf(packageId: string): string {
  return `analyzers/${packageId}`;
}

/**
 * Where one domain's association stands, once it has settled: from the wait's read of AWS, or
 * from the start when AWS answered at once. The workflow records it on the domain as it is.
 */
export interface AssociationStatus {
  domain: string;
  outcome: 'current' | 'failed' | 'deadline';
  version?: string;
  referencePath?: string;
  error?: DomainError;
}

/** Where one domain's dissociation stands, once it has settled. */
export interface DissociationStatus {
  domain: string;
  outcome: 'dissociated' | 'failed' | 'deadline';
  error?: DomainError;
}
