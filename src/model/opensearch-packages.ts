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
